import { CLOSE } from '../protocol.js'
import type { Cleanup, Ctx } from '../context.js'
import { announce, h, show } from '../dom.js'
import { stopMedia } from '../media/devices.js'
import type { VisitSession } from '../visit/session.js'
import { homePage } from './home.js'
import { visitPage } from './visit.js'

/**
 * The patient waits here until the provider admits them. Nothing of the
 * visit is visible: the server sends a waiting participant no media and no
 * chat, and refuses its media requests.
 */
export function waitingRoomPage (ctx: Ctx, session: VisitSession, local: MediaStream, sentBack = false): Cleanup {
  let handedOver = false
  const status = h('p', { class: 'status big', role: 'status', 'aria-live': 'polite' },
    sentBack ? 'Your provider moved you back to the waiting room. Please wait.' : 'Your provider will let you in shortly. Please keep this page open.')
  const conn = h('p', { class: 'muted', 'aria-live': 'polite' })
  const video = h('video', { class: 'preview small', autoplay: true, muted: true, playsinline: true, 'aria-label': 'Your camera preview' })
  video.srcObject = local
  const leave = h('button', { type: 'button', onclick: () => { void doLeave() } }, 'Leave the waiting room')

  show(ctx.root, h('section', { class: 'card waiting', 'aria-labelledby': 'wr-title' },
    h('h1', { id: 'wr-title' }, 'Waiting room'),
    h('div', { class: 'pulse', 'aria-hidden': 'true' }), status, video, conn,
    h('div', { class: 'actions' }, leave)))

  const finish = (text: string): void => {
    status.textContent = text
    announce(text)
    stopMedia(local)
    leave.textContent = ctx.user ? 'Back to my appointments' : 'Done'
    leave.onclick = () => ctx.go(homePage)
  }

  const doLeave = async (): Promise<void> => {
    await session.signal.request('leave', {}).catch(() => undefined)
    session.close()
    ctx.go(homePage)
  }

  session.setHandler({
    event (n) {
      if (n.event === 'admitted') {
        handedOver = true
        ctx.go((c) => visitPage(c, { session, local, snapshot: n.data.visit, host: false }))
      } else if (n.event === 'declined') {
        finish('The provider could not see you in this visit. Please contact the clinic.')
      } else if (n.event === 'visitEnded') {
        finish('This visit has ended.')
      }
    },
    resumed (r) {
      if (r.state === 'admitted') {
        handedOver = true
        ctx.go((c) => visitPage(c, { session, local, snapshot: r.visit, host: false }))
      }
    },
    connection (state, code) {
      if (state === 'reconnecting') conn.textContent = 'Connection lost — reconnecting…'
      else if (state === 'connected') conn.textContent = ''
      else if (state === 'closed' && code !== CLOSE.declined && code !== CLOSE.visitEnded && code !== CLOSE.normal) {
        finish('You were disconnected from the waiting room. Go back and join again.')
      }
    }
  })
  if (session.joined.state === 'admitted') {
    const snapshot = session.joined.visit
    handedOver = true
    queueMicrotask(() => ctx.go((c) => visitPage(c, { session, local, snapshot, host: false })))
  }

  return () => { if (!handedOver) { stopMedia(local); session.close() } }
}
