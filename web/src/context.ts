import type { Api, Me } from './api.js'

/** What every page gets: the API (holding the tokens), who is signed in, and navigation. */
export interface Ctx {
  api: Api
  root: HTMLElement
  user: Me | undefined
  /** Replaces the current page; the previous page's cleanup runs first. */
  go (page: (ctx: Ctx) => Cleanup | void): void
}
export type Cleanup = () => void
