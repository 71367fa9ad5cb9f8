import { ApiError } from '../api.js'
import type { Ctx } from '../context.js'
import { h, show } from '../dom.js'
import { newPasswordField, PASSWORD_MIN } from '../onboarding/password.js'
import { forgotPasswordPage } from './register.js'
import { signInPage } from './sign-in.js'

export interface EmailLink { page: string; token: string | null }

const unreachable = 'Could not reach Bedside. Check your connection.'
const message = (err: unknown) => err instanceof ApiError ? err.message : unreachable

/**
 * The pages an emailed link opens (/verify-email, /accept-invitation,
 * /reset-password, token in the #fragment). The shell has already wiped the
 * token from the address bar; here it is spent on the matching API call.
 */
export function emailLinkPage (ctx: Ctx, link: EmailLink): void {
  if (!link.token) {
    done(ctx, 'This link is incomplete', 'Open the link from the email again, or copy the whole of it into the address bar.', true)
    return
  }
  if (link.page === 'verify-email') verifyEmail(ctx, link.token)
  else if (link.page === 'accept-invitation') passwordForm(ctx, link.token, invitation)
  else passwordForm(ctx, link.token, reset)
}

function verifyEmail (ctx: Ctx, token: string): void {
  const status = h('p', { class: 'status', role: 'status' }, 'Confirming your email address…')
  show(ctx.root, h('section', { class: 'card narrow' }, h('h1', {}, 'Confirming your email'), status))
  ctx.api.request('POST', '/auth/verify-email', { token }).then(
    () => done(ctx, 'Email confirmed', 'Thank you. Your account is ready: sign in to continue.'),
    (err: unknown) => done(ctx, 'This link did not work', `${message(err)}. Sign in to have a new one sent, or register again.`, true))
}

interface PasswordFlow { title: string; intro: string; button: string; path: string; min: number; hint?: string; doneTitle: string; doneText: string }
const invitation: PasswordFlow = {
  title: 'Set up your Bedside account',
  intro: 'You have been invited to Bedside. Choose a password to finish setting up your account; next you will set up two-step sign-in.',
  button: 'Create my password', path: '/auth/invitations/accept', min: PASSWORD_MIN,
  doneTitle: 'Your account is ready', doneText: 'Sign in with your email address and new password. You will then set up two-step sign-in with an authenticator app.'
}
const reset: PasswordFlow = {
  title: 'Choose a new password', intro: 'Choose a new password for your account. Every device signed in to it will be signed out.',
  button: 'Change my password', path: '/auth/password/reset',
  // With two-step sign-in the server accepts 8; it says so when the password is too short.
  min: 8, hint: `At least ${PASSWORD_MIN} characters (8 if your account has two-step sign-in).`,
  doneTitle: 'Password changed', doneText: 'Sign in with your new password.'
}

function passwordForm (ctx: Ctx, token: string, flow: PasswordFlow): void {
  const pw = newPasswordField({ min: flow.min, hint: flow.hint })
  const error = h('p', { class: 'error', role: 'alert' })
  const submit = h('button', { type: 'submit', class: 'primary' }, flow.button)
  const form = h('form', { class: 'card narrow', novalidate: true, 'aria-labelledby': 'link-title' },
    h('h1', { id: 'link-title' }, flow.title), h('p', {}, flow.intro), pw.el, error, submit)
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    error.textContent = ''
    const problem = pw.problem()
    if (problem) { error.textContent = problem; pw.input.focus(); return }
    submit.disabled = true
    ctx.api.request('POST', flow.path, { token, password: pw.input.value }).then(() => {
      pw.input.value = ''
      done(ctx, flow.doneTitle, flow.doneText)
    }).catch((err: unknown) => {
      submit.disabled = false
      // A refused password keeps the link usable (the server checks before spending it); a dead link does not.
      if (err instanceof ApiError && err.code === 'BDS_ERR_INVALID_LINK') {
        done(ctx, 'This link did not work', `${err.message}.`, true, flow === reset)
        return
      }
      error.textContent = message(err)
      pw.input.focus()
    })
  })
  show(ctx.root, form)
}

function done (ctx: Ctx, title: string, text: string, failed = false, offerReset = false): void {
  show(ctx.root, h('section', { class: 'card narrow' },
    h('h1', {}, title), h('p', { class: failed ? 'error' : '' }, text),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', onclick: () => ctx.go(signInPage) }, 'Go to sign in'),
      offerReset ? h('button', { type: 'button', onclick: () => ctx.go(forgotPasswordPage) }, 'Send a new reset link') : null)))
}
