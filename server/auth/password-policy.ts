/**
 * NIST SP 800-63B-4 §3.1.1.2: length, not composition. At least 15 characters
 * when the password is the only factor, 8 once MFA is on; at least 64 must be
 * accepted (we take 128); any printable Unicode; refused when it is on the
 * common/breached list. No composition rules, no forced periodic change.
 */
export const PASSWORD_MIN_SINGLE_FACTOR = 15
export const PASSWORD_MIN_WITH_MFA = 8
export const PASSWORD_MAX = 128

/** Unicode normalisation (NIST: NFKC or NFKD) so the same passphrase typed on two keyboards matches. */
export const normalisePassword = (password: string): string => password.normalize('NFKC')

/** Counts code points, not UTF-16 units, as NIST asks. */
const length = (s: string): number => [...s].length

export type PasswordProblem = 'too-short' | 'too-long' | 'common'

export function passwordProblem (password: string, opts: { mfa: boolean; common: ReadonlySet<string> }): PasswordProblem | null {
  const p = normalisePassword(password)
  const min = opts.mfa ? PASSWORD_MIN_WITH_MFA : PASSWORD_MIN_SINGLE_FACTOR
  if (length(p) < min) return 'too-short'
  if (length(p) > PASSWORD_MAX) return 'too-long'
  if (opts.common.has(p.toLowerCase())) return 'common'
  return null
}

export function describeProblem (problem: PasswordProblem, mfa: boolean): string {
  switch (problem) {
    case 'too-short': return `Password must be at least ${mfa ? PASSWORD_MIN_WITH_MFA : PASSWORD_MIN_SINGLE_FACTOR} characters` +
      (mfa ? '' : ' (8 once two-step sign-in is on); a passphrase of several words works well')
    case 'too-long': return `Password must be at most ${PASSWORD_MAX} characters`
    case 'common': return 'This password is too common or appears in known data breaches; choose another'
  }
}
