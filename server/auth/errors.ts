import createError from '@fastify/error'

/**
 * Sign-in errors. One message for every way a sign-in can fail (unknown
 * account, wrong password, locked, disabled), so a caller cannot probe which
 * emails have accounts.
 */
export const SignInFailed = createError('BDS_ERR_SIGN_IN_FAILED', 'Email or password is incorrect, or the account cannot sign in right now', 401)
export const SecondFactorFailed = createError('BDS_ERR_MFA_FAILED', 'The code is wrong, was already used, or the sign-in attempt has expired', 401)
export const RefreshFailed = createError('BDS_ERR_REFRESH_FAILED', 'The session has ended; sign in again', 401)
export const EmailUnverified = createError('BDS_ERR_EMAIL_UNVERIFIED', 'Confirm your email address with the link we sent before signing in', 403)
export const InvalidLink = createError('BDS_ERR_INVALID_LINK', 'This link is invalid, already used or expired', 400)
export const WeakPassword = createError('BDS_ERR_PASSWORD_POLICY', '%s', 422)

const Throttled = createError('BDS_ERR_TOO_MANY_ATTEMPTS', 'Too many failed attempts; try again in %s seconds', 429)

/** 429 with Retry-After (the errors plugin copies `headers` onto the reply). */
export function throttled (seconds: number): Error {
  return Object.assign(new Throttled(String(seconds)), { headers: { 'retry-after': String(seconds) } })
}
