/** Reads `#token=…` of an emailed link and wipes it (and the link's path) from the address bar and history. */
export function takeLinkToken (): { page: string; token: string | null } | null {
  const page = location.pathname.replace(/^\/+|\/+$/g, '')
  if (!['verify-email', 'accept-invitation', 'reset-password'].includes(page)) return null
  const m = /^#token=([A-Za-z0-9_-]{20,200})$/.exec(location.hash)
  history.replaceState(null, '', '/')
  return { page, token: m ? m[1]! : null }
}
