/**
 * The HTTP API, with the access and refresh tokens held in this closure only:
 * never in URLs, storage or cookies, so a reload signs the user out.
 */
export type Role = 'patient' | 'provider' | 'staff' | 'admin'

export interface Tokens { accessToken: string; refreshToken: string; expiresIn: number; mfa: boolean; mfaEnrolmentRequired: boolean }
export type SignInResult = ({ status: 'signed-in' } & Tokens) | { status: 'mfa-required'; challenge: string; expiresIn: number }
export interface Me { id: string; role: Role; mfaEnabled: boolean; sessionMfa: boolean }
export interface Appointment {
  id: string; patientId: string; providerId: string; status: string; startsAt: string; endsAt: string; checkedInAt: string | null
}
/** `ws`: the socket path to open, with the visit's routing key (signalling/PROTOCOL.md). */
export interface Ticket { ticket: string; expiresAt: string; ws: string }

export class ApiError extends Error {
  constructor (readonly status: number, readonly code: string | undefined, message: string) { super(message) }
}

export interface Api {
  signIn (email: string, password: string): Promise<SignInResult>
  secondFactor (challenge: string, code: string): Promise<void>
  signOut (): Promise<void>
  me (): Promise<Me>
  appointments (): Promise<Appointment[]>
  visitTicket (appointmentId: string): Promise<Ticket>
  /** Host only: a one-time invite secret for a guest (interpreter, family member). */
  inviteGuest (appointmentId: string, guestKind: 'interpreter' | 'family' | 'other', label: string): Promise<{ inviteToken: string; expiresAt: string }>
  /** Public: trades an invite secret for a visit ticket. */
  guestTicket (inviteToken: string): Promise<Ticket & { appointmentId: string }>
  /** Any other route, with the same token handling and errors (onboarding pages use it). */
  request<T> (method: string, path: string, body?: unknown): Promise<T>
  /** MFA confirmation returns an access token for the now-MFA session; the refresh token stays. */
  adoptAccessToken (accessToken: string, expiresIn: number): void
  /** Called with every API error before it is thrown: the shell routes consent/MFA gates from here. */
  onError: ((err: ApiError) => void) | undefined
  readonly signedIn: boolean
}

export function createApi (base = ''): Api {
  let tokens: Tokens | undefined
  let refreshing: Promise<boolean> | undefined

  const raw = async (method: string, path: string, body?: unknown, auth = true): Promise<Response> =>
    fetch(base + path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(auth && tokens ? { authorization: `Bearer ${tokens.accessToken}` } : {})
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      credentials: 'omit',
      cache: 'no-store'
    })

  const refresh = (): Promise<boolean> => {
    refreshing ??= (async () => {
      if (!tokens) return false
      const res = await raw('POST', '/auth/refresh', { refreshToken: tokens.refreshToken }, false)
      if (!res.ok) { tokens = undefined; return false }
      tokens = await res.json() as Tokens
      return true
    })().finally(() => { refreshing = undefined })
    return refreshing
  }

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res = await raw(method, path, body)
    // Access tokens are short-lived: rotate the refresh token once and retry.
    if (res.status === 401 && tokens && await refresh()) res = await raw(method, path, body)
    if (!res.ok) {
      const err = await res.json().catch(() => ({})) as { message?: string; code?: string }
      const e = new ApiError(res.status, err.code, err.message ?? `Request failed (${res.status})`)
      api.onError?.(e)
      throw e
    }
    return (res.status === 204 ? undefined : await res.json()) as T
  }

  const api: Api = {
    onError: undefined,
    get signedIn () { return tokens !== undefined },
    async signIn (email, password) {
      const r = await call<SignInResult>('POST', '/auth/sign-in', { email, password })
      if (r.status === 'signed-in') tokens = r
      return r
    },
    async secondFactor (challenge, code) {
      tokens = await call<Tokens>('POST', '/auth/sign-in/mfa', { challenge, code })
    },
    async signOut () {
      try { if (tokens) await call('POST', '/auth/logout', {}) } finally { tokens = undefined }
    },
    me: () => call<Me>('GET', '/auth/me'),
    async appointments () {
      const from = new Date(Date.now() - 24 * 3600_000).toISOString()
      return (await call<{ appointments: Appointment[] }>('GET', `/appointments?from=${encodeURIComponent(from)}&limit=50`)).appointments
    },
    visitTicket: (appointmentId) => call<Ticket>('POST', `/visits/${encodeURIComponent(appointmentId)}/ticket`, {}),
    inviteGuest: (appointmentId, guestKind, label) =>
      call('POST', `/visits/${encodeURIComponent(appointmentId)}/guests`, { guestKind, label }),
    guestTicket: (inviteToken) => call('POST', '/guest-invites/ticket', { inviteToken }),
    request: (method, path, body) => call(method, path, body),
    adoptAccessToken (accessToken, expiresIn) {
      if (tokens) tokens = { ...tokens, accessToken, expiresIn, mfa: true, mfaEnrolmentRequired: false }
    }
  }
  return api
}
