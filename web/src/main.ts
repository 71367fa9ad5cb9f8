import { createApi } from './api.js'
import type { Cleanup, Ctx } from './context.js'
import { guestPage, takeInvite } from './pages/guest.js'
import { signInPage } from './pages/sign-in.js'

/**
 * Single page app: the access token lives in memory only, so the pages are
 * views swapped in place rather than separate documents.
 */
function start (): void {
  const root = document.getElementById('main')
  if (!root) return
  let cleanup: Cleanup | void
  const ctx: Ctx = {
    api: createApi(),
    root,
    user: undefined,
    go (page) {
      try { cleanup?.() } finally { cleanup = page(ctx) }
    }
  }
  const invite = takeInvite()
  if (invite) ctx.go((c) => guestPage(c, invite))
  else ctx.go(signInPage)
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
else start()
