import { test } from 'tap'
import { client, creds, nextEvent, peer, sleep, startTurn } from './helpers.js'
import {
  ATTR, CLASS, METHOD, TurnTestClient, attr, errorCode, integrityOk, readXorAddress, u32
} from './turn-client.js'

const lifetimeOf = (m: Parameters<typeof attr>[0]): number | undefined => attr(m, ATTR.LIFETIME)?.readUInt32BE(0)

test('Binding needs no credentials', async (t) => {
  const { addr } = await startTurn(t)
  const c = await client(t, addr)
  const res = await c.request(METHOD.BINDING, [])
  t.equal(res.cls, CLASS.SUCCESS)
  t.same(readXorAddress(attr(res, ATTR.XOR_MAPPED_ADDRESS)!, res.txid), { address: '127.0.0.1', port: c.localPort })
})

test('Allocate: 401 without credentials, refused with wrong, expired or malformed ones', async (t) => {
  const { addr, server } = await startTurn(t)
  const anon = await client(t, addr, { username: undefined })
  const res = await anon.allocate()
  t.equal(res.cls, CLASS.ERROR)
  t.equal(errorCode(res), 401)
  t.ok(attr(res, ATTR.REALM) && attr(res, ATTR.NONCE), '401 carries realm and nonce')
  t.equal(attr(res, ATTR.MESSAGE_INTEGRITY), undefined)

  const wrong = await client(t, addr, { password: 'not-the-password' })
  t.equal(errorCode(await wrong.allocate()), 401, 'wrong password')

  const past = Math.floor(Date.now() / 1000) - 5
  const { createHmac } = await import('node:crypto')
  const { SECRET } = await import('./helpers.js')
  const expiredName = `${past}:participant-1`
  const expired = await client(t, addr, { username: expiredName, password: createHmac('sha1', SECRET).update(expiredName).digest('base64') })
  t.equal(errorCode(await expired.allocate()), 401, 'expired credential, correctly signed')

  const bogusName = 'admin'
  const bogus = await client(t, addr, { username: bogusName, password: createHmac('sha1', SECRET).update(bogusName).digest('base64') })
  t.equal(errorCode(await bogus.allocate()), 401, 'username without expiry')

  const otherSecret = `${Math.floor(Date.now() / 1000) + 600}:participant-1`
  const forged = await client(t, addr, { username: otherSecret, password: createHmac('sha1', 'another-secret-of-thirty-two-chars!!').update(otherSecret).digest('base64') })
  t.equal(errorCode(await forged.allocate()), 401, 'signed with another secret')

  t.equal(server.stats().allocations, 0)
  t.ok(server.stats().authFailures >= 5)
})

test('Allocate with valid credentials: integrity-protected answer, RFC 8656 lifetimes', async (t) => {
  const { addr, server } = await startTurn(t)
  const c = await client(t, addr)
  const res = await c.allocate()
  t.equal(res.cls, CLASS.SUCCESS)
  t.ok(integrityOk(res, c.key!), 'MESSAGE-INTEGRITY verifies with the long-term key')
  t.equal(c.relayedAddress(res).address, '127.0.0.1')
  t.equal(lifetimeOf(res), 600, 'default lifetime')
  t.equal(server.stats().allocations, 1)

  const again = await c.allocate()
  t.equal(errorCode(again), 437, 'a second Allocate on the same 5-tuple is a mismatch')

  const long = await client(t, addr)
  t.equal(lifetimeOf(await long.allocate([{ type: ATTR.LIFETIME, value: u32(100000) }])), 3600, 'capped at the maximum')
  const short = await client(t, addr)
  t.equal(lifetimeOf(await short.allocate([{ type: ATTR.LIFETIME, value: u32(30) }])), 600, 'never below the default')

  const tcpRelay = await client(t, addr)
  t.equal(errorCode(await tcpRelay.allocate().then(() => tcpRelay.authed(METHOD.ALLOCATE, [{ type: ATTR.REQUESTED_TRANSPORT, value: Buffer.from([6, 0, 0, 0]) }]))), 437)
  const tcpOnly = await client(t, addr)
  await tcpOnly.authed(METHOD.BINDING, [])
  tcpOnly.key = undefined
  const r442 = await tcpOnly.authed(METHOD.ALLOCATE, [{ type: ATTR.REQUESTED_TRANSPORT, value: Buffer.from([6, 0, 0, 0]) }])
  t.equal(errorCode(r442), 442, 'only UDP relays')
})

test('peer policy: reserved addresses refused unless allowed', async (t) => {
  const { addr, server } = await startTurn(t, { allowedPeers: ['127.0.0.1'] })
  const c = await client(t, addr)
  t.equal((await c.allocate()).cls, CLASS.SUCCESS)
  for (const address of ['10.0.0.1', '169.254.169.254', '127.0.0.2', '192.168.1.10', '172.16.0.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', 'fe80::1', 'fd00::1', '::ffff:a00:1']) {
    const res = await c.createPermission({ address, port: 5000 })
    t.equal(errorCode(res), 403, `CreatePermission ${address}`)
    t.ok(integrityOk(res, c.key!), 'error answers to authenticated requests are integrity-protected too')
    t.equal(errorCode(await c.channelBind(0x4001, { address, port: 5000 })), 403, `ChannelBind ${address}`)
  }
  const mixed = await c.createPermission({ address: '127.0.0.1', port: 1 }, { address: '10.0.0.1', port: 1 })
  t.equal(errorCode(mixed), 403, 'one refused peer refuses the request')
  t.equal((await c.createPermission({ address: '127.0.0.1', port: 1 })).cls, CLASS.SUCCESS, 'configured loopback is allowed')
  t.equal((await c.createPermission({ address: '8.8.8.8', port: 1 })).cls, CLASS.SUCCESS, 'public addresses are allowed')
  t.ok(server.stats().refusedPeers >= 25)
  const text = await server.metrics.metrics()
  t.match(text, /bedside_turn_refused_peers_total \d+/)

  const strict = await startTurn(t, { allowedPeers: [] })
  const s = await client(t, strict.addr)
  await s.allocate()
  t.equal(errorCode(await s.createPermission({ address: '127.0.0.1', port: 1 })), 403, 'loopback refused by default')
  t.equal(errorCode(await s.channelBind(0x4000, { address: '127.0.0.1', port: 1 })), 403)
})

test('ChannelBind answers with integrity; ChannelData relayed both ways', async (t) => {
  const { addr, server } = await startTurn(t)
  const p = await peer(t)
  const c = await client(t, addr)
  const relayed = c.relayedAddress(await c.allocate())
  const bind = await c.channelBind(0x4000, p.addr)
  t.equal(bind.cls, CLASS.SUCCESS)
  t.ok(integrityOk(bind, c.key!), 'ChannelBind success carries a valid MESSAGE-INTEGRITY (node-turn 0.0.6 omits it)')
  t.equal((await c.channelBind(0x4000, p.addr)).cls, CLASS.SUCCESS, 'rebinding the same pair refreshes it')
  t.equal(errorCode(await c.channelBind(0x4001, p.addr)), 400, 'peer already bound to another channel')
  t.equal(errorCode(await c.channelBind(0x3FFF, { address: '127.0.0.1', port: 9 })), 400, 'channel number out of range')
  t.equal(errorCode(await c.channelBind(0x5000, { address: '127.0.0.1', port: 9 })), 400, 'RFC 8656 range ends at 0x4FFF')

  c.sendChannel(0x4000, Buffer.from('hello peer'))
  const got = await p.next()
  t.equal(got?.data.toString(), 'hello peer', 'client ChannelData reaches the peer')
  t.same(got?.from, relayed, 'from the relayed address')

  const back = nextEvent<[number, Buffer]>(c, 'channel')
  p.sock.send(Buffer.from('hello client'), relayed.port, relayed.address)
  const ev = await back
  t.equal(ev?.[0], 0x4000)
  t.equal(ev?.[1].toString(), 'hello client', 'peer data comes back as ChannelData')

  c.sendChannel(0x4005, Buffer.from('unbound'))
  t.equal(await p.next(300), undefined, 'unbound channel dropped')

  const st = server.stats()
  t.ok(st.packetsToPeer >= 1 && st.packetsToClient >= 1)
  t.ok(st.bytesToPeer >= 10 && st.bytesToClient >= 12)
})

test('Send/Data indications and permissions', async (t) => {
  const { addr } = await startTurn(t)
  const p = await peer(t)
  const stranger = await peer(t)
  const c = await client(t, addr)
  const relayed = c.relayedAddress(await c.allocate())

  c.sendIndication(p.addr, Buffer.from('no permission yet'))
  t.equal(await p.next(300), undefined, 'Send without permission is dropped')

  t.equal((await c.createPermission(p.addr)).cls, CLASS.SUCCESS)
  c.sendIndication(p.addr, Buffer.from('via send'))
  t.equal((await p.next())?.data.toString(), 'via send')

  const data = nextEvent<[{ address: string, port: number }, Buffer]>(c, 'data')
  p.sock.send(Buffer.from('via data'), relayed.port, relayed.address)
  const ev = await data
  t.equal(ev?.[1].toString(), 'via data')
  t.same(ev?.[0], p.addr)

  // The permission is per IP: a second loopback port is permitted, so use the stranger only for a tiny datagram.
  const tiny = nextEvent(c, 'data', 300)
  stranger.sock.send(Buffer.from([1]), relayed.port, relayed.address)
  t.equal(await tiny, undefined, 'a 1-byte datagram does not crash the relay (node-turn reads 4 bytes from it)')
})

test('Refresh: default when LIFETIME absent, capped, 0 deletes', async (t) => {
  const { addr, server } = await startTurn(t)
  const p = await peer(t)
  const c = await client(t, addr)
  await c.allocate()
  const r1 = await c.refresh()
  t.equal(r1.cls, CLASS.SUCCESS, 'Refresh without LIFETIME succeeds (node-turn 0.0.6 ends the allocation)')
  t.equal(lifetimeOf(r1), 600)
  t.ok(integrityOk(r1, c.key!))
  await sleep(100)
  t.equal(server.stats().allocations, 1, 'allocation still there')
  await c.channelBind(0x4000, p.addr)
  c.sendChannel(0x4000, Buffer.from('still relaying'))
  t.equal((await p.next())?.data.toString(), 'still relaying')

  t.equal(lifetimeOf(await c.refresh(1200)), 1200)
  t.equal(lifetimeOf(await c.refresh(999999)), 3600)
  t.equal(lifetimeOf(await c.refresh(10)), 600)
  const del = await c.refresh(0)
  t.equal(del.cls, CLASS.SUCCESS)
  t.equal(lifetimeOf(del), 0)
  t.equal(server.stats().allocations, 0, 'LIFETIME=0 deletes')
  t.equal(errorCode(await c.refresh()), 437)
  c.sendChannel(0x4000, Buffer.from('gone'))
  t.equal(await p.next(300), undefined)
})

test('expiry: allocations, permissions and channels end on time', async (t) => {
  const { addr, server } = await startTurn(t, { defaultLifetime: 1, maxLifetime: 2, permissionLifetime: 1, channelLifetime: 1, sweepIntervalMs: 100 })
  const p = await peer(t)
  const a = await client(t, addr)
  await a.allocate()
  await sleep(1400)
  t.equal(server.stats().allocations, 0, 'allocation expired')
  t.equal(errorCode(await a.refresh()), 437)

  const b = await client(t, addr)
  const relayed = b.relayedAddress(await b.allocate([{ type: ATTR.LIFETIME, value: u32(2) }]))
  await b.channelBind(0x4000, p.addr)
  await sleep(1300)
  await b.refresh(2)
  b.sendChannel(0x4000, Buffer.from('late'))
  t.equal(await p.next(300), undefined, 'channel expired')
  const ev = nextEvent(b, 'data', 300)
  p.sock.send(Buffer.from('late too'), relayed.port, relayed.address)
  t.equal(await ev, undefined, 'permission expired')
  t.equal(server.stats().allocations, 1)
})

test('quotas per participant and in total', async (t) => {
  const { addr, server } = await startTurn(t, { userQuota: 2, totalQuota: 3 })
  const who = creds('participant-q')
  const a = await client(t, addr, who)
  const b = await client(t, addr, who)
  const c = await client(t, addr, creds('participant-q', 900))
  t.equal((await a.allocate()).cls, CLASS.SUCCESS)
  t.equal((await b.allocate()).cls, CLASS.SUCCESS)
  t.equal(errorCode(await c.allocate()), 486, 'third allocation of the same participant (even with a new credential)')
  const other = await client(t, addr, creds('participant-r'))
  t.equal((await other.allocate()).cls, CLASS.SUCCESS)
  const fourth = await client(t, addr, creds('participant-s'))
  t.equal(errorCode(await fourth.allocate()), 508, 'total quota')
  await a.refresh(0)
  t.equal((await c.allocate()).cls, CLASS.SUCCESS, 'quota freed by deletion')
  t.equal(server.stats().allocations, 3)
  t.ok(server.stats().quotaRejections >= 2)
})

test('requests on another client\'s allocation or without one', async (t) => {
  const { addr } = await startTurn(t)
  const c = await client(t, addr)
  await c.allocate()
  const stranger = await TurnTestClient.connect({ server: addr, ...creds('participant-2') })
  t.teardown(() => stranger.close())
  t.equal(errorCode(await stranger.authed(METHOD.REFRESH, [])), 437, 'no allocation on this 5-tuple')
  t.equal(errorCode(await stranger.authed(METHOD.CREATE_PERMISSION, [])), 437)
})

test('a credential that expires during the allocation stops refreshing it', async (t) => {
  const { createHmac } = await import('node:crypto')
  const { SECRET } = await import('./helpers.js')
  const { addr } = await startTurn(t)
  const username = `${Math.floor(Date.now() / 1000) + 2}:participant-short`
  const c = await client(t, addr, { username, password: createHmac('sha1', SECRET).update(username).digest('base64') })
  t.equal((await c.allocate()).cls, CLASS.SUCCESS)
  t.equal((await c.refresh()).cls, CLASS.SUCCESS)
  await sleep(2100)
  const res = await c.request(METHOD.REFRESH, [])
  t.equal(errorCode(res), 401, 'refused once expired')
})
