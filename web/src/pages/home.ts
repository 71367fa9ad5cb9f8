import type { Ctx } from '../context.js'
import { h, show } from '../dom.js'
import { appointmentsPage } from './appointments.js'

/** Where "back" leads: the appointments of a signed-in user; a guest has nowhere else to go. */
export function homePage (ctx: Ctx): void {
  if (ctx.user) { appointmentsPage(ctx); return }
  show(ctx.root, h('section', { class: 'card narrow' }, h('h1', {}, 'Thank you'), h('p', {}, 'You can close this window now.')))
}
