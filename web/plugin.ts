import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { WEB_DIST, WEB_SRC, WEB_STATIC, buildWeb } from './build.js'

export interface WebPluginOptions {
  /** Where the bundle is (built there when missing or older than its sources). Default web/dist. */
  distDir?: string
  /** false: never build, serve what distDir holds (production images build ahead of time). */
  build?: boolean
}

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.js.map': 'application/json; charset=utf-8',
  'app.css': 'text/css; charset=utf-8'
}
const AssetParams = Type.Object({ file: Type.Union(Object.keys(ASSETS).map((f) => Type.Literal(f))) }, { additionalProperties: false })

const newest = (dir: string): number => {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

/** True when the bundle is missing or any source (pages, shared protocol types) changed since it was built. */
function stale (distDir: string): boolean {
  const out = join(distDir, 'app.js')
  if (!existsSync(out) || !existsSync(join(distDir, 'index.html'))) return true
  const shared = [join(WEB_SRC, '../../signalling'), join(WEB_SRC, '../../media/negotiation.ts')]
  const src = Math.max(newest(WEB_SRC), newest(WEB_STATIC), ...shared.map((p) => statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs))
  return src > statSync(out).mtimeMs
}

/**
 * Serves the browser client: the page at / and its bundle and stylesheet
 * under /assets/. All public: the page holds no PHI, every datum comes from
 * the API with the in-memory access token. helmet's CSP (script-src 'self')
 * covers these responses like any other.
 */
export default async function web (f: FastifyInstance, opts: WebPluginOptions = {}): Promise<void> {
  const dist = opts.distDir ?? WEB_DIST
  if (opts.build !== false && stale(dist)) {
    try {
      await buildWeb(dist)
      f.log.info({ dist }, 'web client built')
    } catch (err) {
      // Production images install without dev dependencies: serve what was built ahead, if anything.
      f.log.warn({ err: (err as Error).message }, 'web client not rebuilt (esbuild unavailable?)')
    }
  }

  // serve: false: @fastify/static adds no routes of its own (they could not declare
  // config.access); ours below call reply.sendFile, which brings ETag and ranges.
  await f.register(fastifyStatic, { root: dist, serve: false, cacheControl: false, dotfiles: 'deny', index: false })

  // The page also answers the paths of emailed links (server/routes/auth/context.ts link()); their token is in the #fragment.
  for (const path of ['/', '/sign-in', '/verify-email', '/accept-invitation', '/reset-password']) {
    f.get(path, { config: { access: 'public' }, schema: { hide: true } }, (_req, reply) => {
      reply.header('cache-control', 'no-cache')
      return reply.sendFile('index.html')
    })
  }

  f.get('/assets/:file', { config: { access: 'public' }, schema: { hide: true, params: AssetParams } }, (req, reply) => {
    const { file } = req.params as { file: string }
    // File names carry no content hash, so browsers revalidate (ETag) instead of caching blindly.
    reply.header('cache-control', 'no-cache').type(ASSETS[file]!)
    return reply.sendFile(file)
  })
}
