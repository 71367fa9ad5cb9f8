import type { Notifier } from './notifier.js'

/**
 * Development only, when no mail transport is configured: a newcomer running
 * `npm start` must be able to follow the verification and invitation links, so
 * each message's link is also printed on the terminal (never the address, and
 * never through the logger, whose lines are collected in production).
 */
export function withDevConsole (inner: Notifier, print: (line: string) => void): Notifier {
  return {
    async send (notice, tx) {
      await inner.send(notice, tx)
      if (notice.link) print(`[development mail] ${notice.purpose} for user ${notice.userId ?? '(none)'}: ${notice.link}`)
    }
  }
}
