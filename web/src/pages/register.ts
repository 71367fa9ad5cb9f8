import { ApiError } from '../api.js'
import type { Ctx } from '../context.js'
import { field, h, show } from '../dom.js'
import { newPasswordField } from '../onboarding/password.js'
import { signInPage } from './sign-in.js'

const unreachable = 'Could not reach Bedside. Check your connection.'
const message = (err: unknown) => err instanceof ApiError ? err.message : unreachable

/** Patient self-registration: the server answers 202 whether or not the address is new, so the page always says "check your email". */
export function registerPage (ctx: Ctx): void {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true })
  const pw = newPasswordField()
  const error = h('p', { class: 'error', role: 'alert' })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create account')
  const form = h('form', { class: 'card narrow', novalidate: true, 'aria-labelledby': 'register-title' },
    h('h1', { id: 'register-title' }, 'Create a patient account'),
    h('p', { class: 'muted' }, 'Clinicians and staff are invited by their clinic instead.'),
    field('Email', email), pw.el, error, submit,
    h('p', {}, h('button', { type: 'button', class: 'link', onclick: () => ctx.go(signInPage) }, 'I already have an account')))
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    error.textContent = ''
    if (!email.value.trim() || !email.checkValidity()) { error.textContent = 'Enter your email address.'; email.focus(); return }
    const problem = pw.problem()
    if (problem) { error.textContent = problem; pw.input.focus(); return }
    submit.disabled = true
    const address = email.value.trim()
    ctx.api.request('POST', '/auth/register', { email: address, password: pw.input.value }).then(() => {
      pw.input.value = ''
      ctx.go((c) => checkEmailPage(c, address))
    }).catch((err: unknown) => {
      // The policy message (too short, too common) comes from the server: show it as it is.
      error.textContent = message(err)
      submit.disabled = false
      pw.input.focus()
    })
  })
  show(ctx.root, form)
}

/** After registering: the link is in the mailbox; a resend, limited by the server, for a lost mail. */
export function checkEmailPage (ctx: Ctx, address: string): void {
  const status = h('p', { class: 'status', role: 'status' })
  const resend = h('button', { type: 'button' }, 'Send the email again')
  resend.addEventListener('click', () => {
    resend.disabled = true
    ctx.api.request('POST', '/auth/verify-email/resend', { email: address }).then(
      () => { status.textContent = 'If the address needs confirming, a new email is on its way. Only the newest link works.' },
      (err: unknown) => { status.textContent = message(err) }
    ).finally(() => { resend.disabled = false })
  })
  show(ctx.root, h('section', { class: 'card narrow' },
    h('h1', {}, 'Check your email'),
    h('p', {}, 'We sent a message to ', h('strong', {}, address), '. Open the link in it to confirm your address, then sign in.'),
    h('p', { class: 'muted' }, 'It can take a few minutes; look in your spam folder too. If you already had an account, the email says so instead.'),
    status,
    h('div', { class: 'actions' }, resend, h('button', { type: 'button', class: 'primary', onclick: () => ctx.go(signInPage) }, 'Go to sign in'))))
}

/** Forgotten password: the same answer whether or not the address has an account. */
export function forgotPasswordPage (ctx: Ctx): void {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true })
  const error = h('p', { class: 'error', role: 'alert' })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Email me a reset link')
  const form = h('form', { class: 'card narrow', novalidate: true, 'aria-labelledby': 'forgot-title' },
    h('h1', { id: 'forgot-title' }, 'Reset your password'),
    h('p', {}, 'Enter the email address of your account. We will send a link that works for one hour.'),
    field('Email', email), error, submit,
    h('p', {}, h('button', { type: 'button', class: 'link', onclick: () => ctx.go(signInPage) }, 'Back to sign in')))
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    error.textContent = ''
    if (!email.value.trim() || !email.checkValidity()) { error.textContent = 'Enter your email address.'; email.focus(); return }
    submit.disabled = true
    ctx.api.request('POST', '/auth/password/forgot', { email: email.value.trim() }).then(() => {
      show(ctx.root, h('section', { class: 'card narrow' }, h('h1', {}, 'Check your email'),
        h('p', {}, 'If an account uses that address, a reset link is on its way. Only the newest link works.'),
        h('button', { type: 'button', class: 'primary', onclick: () => ctx.go(signInPage) }, 'Back to sign in')))
    }).catch((err: unknown) => { error.textContent = message(err); submit.disabled = false })
  })
  show(ctx.root, form)
}
