import { ApiError } from '../api.js'
import type { Ctx } from '../context.js'
import { field, h, show } from '../dom.js'
import { appointmentsPage } from './appointments.js'
import { mfaEnrolPage } from './mfa-enrol.js'
import { forgotPasswordPage, registerPage } from './register.js'

export function signInPage (ctx: Ctx): void {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true })
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true })
  const error = h('p', { class: 'error', role: 'alert' })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in')
  const form = h('form', { class: 'card narrow', novalidate: true, 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to Bedside'),
    field('Email', email), field('Password', password), error, submit,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'link', onclick: () => ctx.go(registerPage) }, 'New patient? Create an account'),
      h('button', { type: 'button', class: 'link', onclick: () => ctx.go(forgotPasswordPage) }, 'Forgot your password?')))

  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    error.textContent = ''
    if (!email.value || !password.value) { error.textContent = 'Enter your email and password.'; return }
    submit.disabled = true
    ctx.api.signIn(email.value.trim(), password.value).then(async (r) => {
      password.value = ''
      if (r.status === 'mfa-required') { mfaStep(ctx, r.challenge); return }
      // Providers, staff and admins without a second factor may only set one up.
      if (r.mfaEnrolmentRequired) { ctx.user = await ctx.api.me(); ctx.go(mfaEnrolPage); return }
      await finish(ctx)
    }).catch((err: unknown) => {
      error.textContent = err instanceof ApiError ? err.message : 'Could not reach Bedside. Check your connection.'
      submit.disabled = false
      password.focus()
    })
  })
  show(ctx.root, form)
}

function mfaStep (ctx: Ctx, challenge: string): void {
  const code = h('input', { type: 'text', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6, required: true })
  const error = h('p', { class: 'error', role: 'alert' })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Verify')
  const form = h('form', { class: 'card narrow', novalidate: true, 'aria-labelledby': 'mfa-title' },
    h('h1', { id: 'mfa-title' }, 'Two-step verification'),
    h('p', {}, 'Enter the 6-digit code from your authenticator app.'),
    field('Code', code), error, submit)
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    error.textContent = ''
    if (!/^[0-9]{6}$/.test(code.value)) { error.textContent = 'The code has 6 digits.'; return }
    submit.disabled = true
    ctx.api.secondFactor(challenge, code.value).then(() => finish(ctx)).catch((err: unknown) => {
      error.textContent = err instanceof ApiError ? err.message : 'Could not reach Bedside.'
      submit.disabled = false
      code.select()
    })
  })
  show(ctx.root, form)
}

async function finish (ctx: Ctx): Promise<void> {
  ctx.user = await ctx.api.me()
  ctx.go(appointmentsPage)
}
