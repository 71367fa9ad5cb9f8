import { spawn, type ChildProcess } from 'node:child_process'
import dgram from 'node:dgram'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { renderCoturnConfig } from '../../turn/coturn-config.js'

/**
 * The two TURN servers under test, each as its own process on loopback, so
 * CPU is measured per process (/proc/<pid>/stat) and never mixed with the
 * load generator or the browsers.
 */

export const BENCH_SECRET = 'benchmark-secret-0123456789abcdefghijklmn'
export const BENCH_REALM = 'bedside-bench'

export interface RunningTurn { name: string, pid: number, port: number, stop(): Promise<void> }

export async function freeUdpPort (): Promise<number> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))
  const port = s.address().port
  s.close()
  return port
}

async function waitForBinding (port: number): Promise<void> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))
  try {
    for (let i = 0; i < 100; i++) {
      const req = Buffer.alloc(20); req.writeUInt16BE(1, 0); req.writeUInt32BE(0x2112A442, 4)
      const answered = new Promise<boolean>((resolve) => {
        const done = (): void => { clearTimeout(timer); resolve(true) }
        const timer = setTimeout(() => { s.off('message', done); resolve(false) }, 200)
        s.once('message', done)
      })
      s.send(req, port, '127.0.0.1')
      if (await answered) return
    }
    throw new Error('TURN server did not answer')
  } finally { s.close() }
}

const stopper = (p: ChildProcess) => async (): Promise<void> => {
  if (p.exitCode !== null) return
  p.kill('SIGTERM')
  await new Promise((resolve) => { p.once('exit', resolve); setTimeout(() => { p.kill('SIGKILL'); resolve(undefined) }, 3000) })
}

export async function startBundled (): Promise<RunningTurn> {
  const port = await freeUdpPort()
  const p = spawn(process.execPath, ['--import', 'tsx', 'turn/main.ts'], {
    env: {
      ...process.env, CONFIG_FILE: '', TURN_SECRET: BENCH_SECRET, TURN_REALM: BENCH_REALM, TURN_PORT: String(port), TURN_HOST: '127.0.0.1',
      TURN_ALLOWED_PEERS: '127.0.0.1', TURN_METRICS_PORT: '0', TURN_USER_QUOTA: '100', NODE_ENV: 'development'
    },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  await waitForBinding(port)
  return { name: 'bundled (node-turn + Bedside wrapper)', pid: p.pid!, port, stop: stopper(p) }
}

export async function startCoturn (): Promise<RunningTurn> {
  const port = await freeUdpPort()
  const dir = mkdtempSync(join(tmpdir(), 'bedside-bench-coturn-'))
  writeFileSync(join(dir, 'turnserver.conf'), renderCoturnConfig({
    secret: BENCH_SECRET, realm: BENCH_REALM, listeningIp: '127.0.0.1', relayIp: '127.0.0.1', port,
    minPort: 49152, maxPort: 65535, maxLifetime: 3600, userQuota: 100, totalQuota: 1000,
    allowedPeers: [], deniedPeers: [], allowLoopback: true, logFile: join(dir, 'turn.log')
  }))
  const p = spawn('/usr/bin/turnserver', ['-c', join(dir, 'turnserver.conf'), '--no-stdout-log'], { stdio: 'ignore' })
  await waitForBinding(port)
  const stop = stopper(p)
  return { name: 'coturn 4.6.1 (Debian)', pid: p.pid!, port, stop: async () => { await stop(); rmSync(dir, { recursive: true, force: true }) } }
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}
