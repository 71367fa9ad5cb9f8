import type { Ctx } from '../context.js'
import { h } from '../dom.js'
import { signInPage } from './sign-in.js'

/** The signed-in user's role and a sign-out button, in the page header. */
export function setHeader (ctx: Ctx): void {
  const slot = document.getElementById('account')
  if (!slot) return
  if (!ctx.user) { slot.replaceChildren(); return }
  const role = ctx.user.role
  slot.replaceChildren(
    h('span', { class: 'who' }, `Signed in as ${role}`),
    h('button', {
      type: 'button', class: 'link',
      onclick: () => {
        void ctx.api.signOut().finally(() => { ctx.user = undefined; setHeader(ctx); ctx.go(signInPage) })
      }
    }, 'Sign out'))
}
