import { spawn } from 'node:child_process'
import { once } from 'node:events'
import Fastify from 'fastify'
import { test } from 'tap'
import { loadConfig } from '../../config/load.js'
import turnPlugin from '../../turn/plugin.js'
import { SECRET, client } from './helpers.js'
import { CLASS } from './turn-client.js'

test('turn/main.ts runs TURN as its own process with health and metrics', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'turn/main.ts'], {
    env: { ...process.env, TURN_SECRET: SECRET, TURN_PORT: '0', TURN_METRICS_PORT: '0', TURN_ALLOWED_PEERS: '127.0.0.1', CONFIG_FILE: '' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  const deadline = Date.now() + 20_000
  while (!out.includes('\n') && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50))
  const info = JSON.parse(out.split('\n')[0]) as { ports: { udp: number, tcp: number }, health: string }
  t.ok(info.ports.udp > 0 && info.ports.tcp > 0)

  const health = await fetch(`http://${info.health}/health`)
  t.equal(health.status, 200)
  t.match(await health.json(), { status: 'ok', allocations: 0 })

  const c = await client(t, { address: '127.0.0.1', port: info.ports.udp })
  t.equal((await c.allocate()).cls, CLASS.SUCCESS)
  const metrics = await (await fetch(`http://${info.health}/metrics`)).text()
  t.match(metrics, /bedside_turn_allocations 1/)
  t.match(metrics, /bedside_turn_relayed_bytes_total\{direction="to_peer"\} 0/)
  t.equal((await fetch(`http://${info.health}/nope`)).status, 404)

  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0, 'stops cleanly on SIGTERM')
})

test('refuses to start without a secret', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'turn/main.ts'], {
    env: { ...process.env, TURN_SECRET: '', TURN_PORT: '0', CONFIG_FILE: '' }, stdio: ['ignore', 'pipe', 'pipe']
  })
  let err = ''
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const [code] = await once(child, 'exit')
  t.equal(code, 1)
  t.match(err, /TURN_SECRET/)
})

test('Fastify plugin: embedded server and credential issuer', async (t) => {
  const config = loadConfig({ env: {}, overrides: { TURN_SECRET: SECRET, TURN_PORT: '0' } })
  const app = Fastify()
  await app.register(turnPlugin, { config })
  await app.ready()
  t.teardown(() => app.close())
  const server = app.turn.server!
  t.equal(server.stats().running, true)
  const cred = app.turn.issue({ participantId: 'visit-participant-9', ttlSeconds: 900 })
  t.match(cred.username, /^\d+:visit-participant-9$/)
  const c = await client(t, { address: '127.0.0.1', port: server.stats().ports.udp! }, { username: cred.username, password: cred.credential })
  t.equal((await c.allocate()).cls, CLASS.SUCCESS, 'issued credentials work against the embedded server')
  await app.close()
  t.equal(server.stats().running, false, 'stopped with the API')
})
