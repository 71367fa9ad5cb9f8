import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const WEB_SRC = join(here, 'src')
export const WEB_STATIC = join(here, 'static')
export const WEB_DIST = join(here, 'dist')

/** Files the pages are made of: the bundle plus the static HTML and CSS. */
export const STATIC_FILES = ['index.html', 'app.css'] as const

/**
 * Bundles the browser client (web/src/main.ts and everything it imports,
 * mediasoup-client included) into one file, next to the static HTML and CSS.
 * esbuild is a dev dependency, so it is imported only when a build runs.
 */
export async function buildWeb (outDir: string = WEB_DIST, o: { minify?: boolean } = {}): Promise<void> {
  const { build } = await import('esbuild')
  await mkdir(outDir, { recursive: true })
  const result = await build({
    write: false,
    entryPoints: [join(WEB_SRC, 'main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    sourcemap: 'linked',
    minify: o.minify ?? false,
    logLevel: 'silent',
    // mediasoup-client's debug logger reads process.env in some builds.
    define: { 'process.env.DEBUG': 'undefined', 'process.env.NODE_ENV': '"production"' }
  })
  // Write then rename: a server or test reading the old bundle never sees half a file.
  const tmp = `.tmp-${process.pid}-${Date.now()}`
  for (const o of result.outputFiles) { await writeFile(o.path + tmp, o.contents); await rename(o.path + tmp, o.path) }
  for (const f of STATIC_FILES) { await copyFile(join(WEB_STATIC, f), join(outDir, f + tmp)); await rename(join(outDir, f + tmp), join(outDir, f)) }
}

// `npm run build:web`
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildWeb(WEB_DIST, { minify: true }).then(
    () => process.stdout.write(`web client built into ${WEB_DIST}\n`),
    (err: unknown) => { process.stderr.write(`web build failed: ${String(err)}\n`); process.exit(1) })
}
