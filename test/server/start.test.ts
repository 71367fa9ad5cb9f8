import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const root = join(import.meta.dirname, '..', '..')

function start (env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout.on('data', (d) => { out += String(d) })
  child.stderr.on('data', (d) => { out += String(d) })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, exited, output: () => out }
}

t.test('npm start with no configuration: embedded database, banner, ready, clean stop', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bedside-start-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const p = start({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' })
  t.teardown(() => { p.child.kill('SIGKILL') })
  const deadline = Date.now() + 60_000
  while (!/listening on (http:\/\/\S+)/.test(p.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
  const address = /listening on (http:\/\/\S+)/.exec(p.output())?.[1]
  t.ok(address, 'banner names the address')
  t.match(p.output(), /database: EMBEDDED PGlite/)
  t.match(p.output(), /redis: none/)
  t.match(p.output(), /mail: none \(no SMTP_URL\).*links are printed here/, 'says mail is not sent and where the links go')
  t.match(p.output(), /media: in this process/)
  const res = await fetch(`${address}/readyz`)
  t.equal(res.status, 200)
  p.child.kill('SIGTERM')
  t.equal(await p.exited, 0, 'exits cleanly on SIGTERM')
})

t.test('a bad setting stops the process at start with a clear message', async (t) => {
  const p = start({ PORT: 'eighty' })
  t.equal(await p.exited, 78)
  t.match(p.output(), /Bedside cannot start\.[\s\S]*PORT="eighty" is invalid/)
})
