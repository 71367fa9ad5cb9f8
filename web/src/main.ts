import { createApi } from './api.js'
import type { Cleanup, Ctx } from './context.js'
import { takeLinkToken } from './onboarding/link-token.js'
import { consentPage } from './pages/consent.js'
import { emailLinkPage } from './pages/email-link.js'
import { guestPage, takeInvite } from './pages/guest.js'
import { mfaEnrolPage } from './pages/mfa-enrol.js'
import { signInPage } from './pages/sign-in.js'

/**
 * Single page app: the access token lives in memory only, so the pages are
 * views swapped in place rather than separate documents.
 */
function start (): void {
  const root = document.getElementById('main')
  if (!root) return
  let cleanup: Cleanup | void
  let current: unknown
  const ctx: Ctx = {
    api: createApi(),
    root,
    user: undefined,
    go (page) {
      current = page
      try { cleanup?.() } finally { cleanup = page(ctx) }
    }
  }
  // The server's gates can answer any route: whichever page asked, the user goes to the step that unlocks it.
  ctx.api.onError = (err) => {
    if (err.code === 'BDS_ERR_CONSENT_REQUIRED' && current !== consentPage) ctx.go(consentPage)
    else if (err.code === 'BDS_ERR_MFA_REQUIRED' && current !== mfaEnrolPage) ctx.go(mfaEnrolPage)
  }
  // Emailed links arrive at /verify-email, /accept-invitation or /reset-password with #token=….
  const link = takeLinkToken()
  const invite = link ? null : takeInvite()
  if (link) ctx.go((c) => emailLinkPage(c, link))
  else if (invite) ctx.go((c) => guestPage(c, invite))
  else ctx.go(signInPage)
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
else start()
