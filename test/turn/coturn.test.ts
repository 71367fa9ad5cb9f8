import { spawn } from 'node:child_process'
import { createHmac } from 'node:crypto'
import dgram from 'node:dgram'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'tap'
import { cidrToRange, renderCoturnConfig } from '../../turn/coturn-config.js'
import { SECRET, client, creds, nextEvent, peer, sleep } from './helpers.js'
import { CLASS, errorCode, integrityOk, METHOD } from './turn-client.js'

const TURNSERVER = '/usr/bin/turnserver'

test('CIDRs become coturn ranges', async (t) => {
  t.equal(cidrToRange('10.0.0.0/8'), '10.0.0.0-10.255.255.255')
  t.equal(cidrToRange('10.1.2.3/24'), '10.1.2.0-10.1.2.255')
  t.equal(cidrToRange('127.0.0.1'), '127.0.0.1')
  t.equal(cidrToRange('fe80::/10'), 'fe80:0:0:0:0:0:0:0-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff')
  t.equal(cidrToRange('::1/128'), '0:0:0:0:0:0:0:1-0:0:0:0:0:0:0:1')
  t.throws(() => cidrToRange('nope/8'))
  const conf = renderCoturnConfig({ secret: SECRET, realm: 'r', port: 3478, minPort: 1, maxPort: 2, maxLifetime: 3600, userQuota: 3, totalQuota: 9, allowedPeers: ['10.5.0.0/16'], deniedPeers: ['8.8.8.8'] })
  t.match(conf, /^use-auth-secret$/m)
  t.match(conf, new RegExp(`^static-auth-secret=${SECRET}$`, 'm'))
  t.match(conf, /^denied-peer-ip=169\.254\.0\.0-169\.254\.255\.255$/m)
  t.match(conf, /^denied-peer-ip=127\.0\.0\.0-127\.255\.255\.255$/m)
  t.match(conf, /^denied-peer-ip=8\.8\.8\.8$/m)
  t.match(conf, /^allowed-peer-ip=10\.5\.0\.0-10\.5\.255\.255$/m)
  t.notMatch(conf, /allow-loopback-peers/)
  t.notMatch(renderCoturnConfig({ secret: SECRET, realm: 'r', port: 1, minPort: 1, maxPort: 2, maxLifetime: 1, userQuota: 1, totalQuota: 1, allowedPeers: [], deniedPeers: [], redactSecret: true }), new RegExp(SECRET))
})

async function freeUdpPort (): Promise<number> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))
  const port = s.address().port
  s.close()
  return port
}

test('the same credentials and peer policy work against Debian\'s coturn', { skip: !existsSync(TURNSERVER) && 'coturn not installed (apt-get install coturn)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-coturn-'))
  t.teardown(() => { if (process.env.KEEP_COTURN_LOG === undefined) rmSync(dir, { recursive: true, force: true }); else t.comment(dir) })
  const port = await freeUdpPort()
  const base = 40000 + Math.floor(Math.random() * 200) * 100
  writeFileSync(join(dir, 'turnserver.conf'), renderCoturnConfig({
    secret: SECRET, realm: 'bedside-test', listeningIp: '127.0.0.1', relayIp: '127.0.0.1', port,
    minPort: base, maxPort: base + 99, maxLifetime: 3600, userQuota: 10, totalQuota: 100,
    allowedPeers: [], deniedPeers: [], allowLoopback: true, logFile: join(dir, 'turn.log'), pidFile: join(dir, 'turn.pid')
  }))
  const proc = spawn(TURNSERVER, ['-c', join(dir, 'turnserver.conf'), '--no-stdout-log'], { stdio: 'ignore' })
  t.teardown(() => { proc.kill('SIGKILL') })
  const addr = { address: '127.0.0.1', port }
  // Wait until coturn answers a Binding request.
  const probe = await client(t, addr, { timeoutMs: 300 })
  let up = false
  for (let i = 0; i < 30 && !up; i++) up = await probe.request(METHOD.BINDING, []).then(() => true, () => false)
  t.ok(up, 'coturn is up')

  const anon = await client(t, addr, { username: undefined })
  t.equal(errorCode(await anon.allocate()), 401)
  const expiredName = `${Math.floor(Date.now() / 1000) - 5}:participant-1`
  const expired = await client(t, addr, { username: expiredName, password: createHmac('sha1', SECRET).update(expiredName).digest('base64') })
  t.equal(errorCode(await expired.allocate()), 401, 'coturn refuses the expired credential too')

  const p = await peer(t)
  const c = await client(t, addr, creds('participant-c'))
  const res = await c.allocate()
  t.equal(res.cls, CLASS.SUCCESS, 'issueTurnCredentials() output is accepted by coturn')
  t.ok(integrityOk(res, c.key!))
  const relayed = c.relayedAddress(res)
  t.equal(errorCode(await c.createPermission({ address: '10.0.0.1', port: 1 })), 403, 'denied-peer-ip refuses private peers')
  t.equal(errorCode(await c.createPermission({ address: '169.254.169.254', port: 1 })), 403)
  const bound = await c.channelBind(0x4000, p.addr)
  t.equal(bound.cls, CLASS.SUCCESS, `ChannelBind to the loopback peer (error ${errorCode(bound)})`)
  c.sendChannel(0x4000, Buffer.from('via coturn'))
  t.equal((await p.next())?.data.toString(), 'via coturn')
  const back = nextEvent<[number, Buffer]>(c, 'channel')
  p.sock.send(Buffer.from('back'), relayed.port, relayed.address)
  t.equal((await back)?.[1].toString(), 'back')
  await sleep(10)
})
