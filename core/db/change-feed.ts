/** The channel migration 0500 notifies on; payloads are 'topic:id'. */
export const CHANGES_CHANNEL = 'bedside_changes'

export type ChangeHandler = (topic: string, id: string) => void

/**
 * What per-process caches need from the database: word of every change they
 * depend on, from any process, and whether that word is reliable right now.
 * A cache may only serve while `live` is true; when delivery breaks, `onChange`
 * handlers hear ('*', '*') and must drop everything, since changes may be missed.
 */
export interface ChangeFeed {
  readonly live: boolean
  onChange (handler: ChangeHandler): () => void
}

export interface ChangeFeedSource extends ChangeFeed {
  /** A NOTIFY payload arrived (possibly more than once: handlers must be idempotent). */
  deliver (payload: string): void
  setLive (live: boolean): void
}

export function createChangeFeed (): ChangeFeedSource {
  const handlers = new Set<ChangeHandler>()
  let live = false
  const emit = (topic: string, id: string) => { for (const h of handlers) h(topic, id) }
  return {
    get live () { return live },
    onChange (h) { handlers.add(h); return () => { handlers.delete(h) } },
    deliver (payload) {
      const at = payload.indexOf(':')
      if (at > 0) emit(payload.slice(0, at), payload.slice(at + 1))
    },
    setLive (next) {
      if (live && !next) emit('*', '*')
      live = next
    }
  }
}
