import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'tap'
import { createStreamFramer } from '../../turn/listeners.js'
import { client, nextEvent, peer, sleep, startTurn } from './helpers.js'
import { CLASS, channelData, encode, errorCode, integrityOk, METHOD } from './turn-client.js'

function selfSigned (t: { teardown(fn: () => unknown): void }): { cert: Buffer, key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-turn-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' })
  return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }
}

for (const transport of ['tcp', 'tls'] as const) {
  test(`TURN over ${transport}: allocate, bind, ChannelData both ways, allocation ends with the connection`, async (t) => {
    const { tcp, tls, server } = await startTurn(t, transport === 'tls' ? { tls: { port: 0, ...selfSigned(t) } } : {})
    const at = transport === 'tls' ? tls! : tcp!
    const p = await peer(t)
    const c = await client(t, at, { transport })
    const res = await c.allocate()
    t.equal(res.cls, CLASS.SUCCESS)
    t.ok(integrityOk(res, c.key!))
    const relayed = c.relayedAddress(res)
    t.equal(errorCode(await c.channelBind(0x4000, { address: '10.0.0.1', port: 1 })), 403)
    t.ok(integrityOk(await c.channelBind(0x4000, p.addr), c.key!))
    c.sendChannel(0x4000, Buffer.from('odd-sized!'))
    t.equal((await p.next())?.data.toString(), 'odd-sized!', 'padded ChannelData from a stream reaches the peer unpadded')
    const back = nextEvent<[number, Buffer]>(c, 'channel')
    p.sock.send(Buffer.from('reply'), relayed.port, relayed.address)
    t.equal((await back)?.[1].toString(), 'reply')
    t.equal(server.stats().allocations, 1)
    c.close()
    await sleep(200)
    t.equal(server.stats().allocations, 0, 'closing the connection deletes its allocation (RFC 8656)')
  })
}

test('stream framing: split and coalesced messages, garbage closes', async (t) => {
  const frames: Buffer[] = []
  const feed = createStreamFramer((f) => frames.push(Buffer.from(f)))
  const a = encode(METHOD.BINDING, CLASS.REQUEST, [])
  const b = channelData(0x4001, Buffer.from('abcde'), true)
  const both = Buffer.concat([a, b, a])
  for (let i = 0; i < both.length; i += 3) t.equal(feed(both.subarray(i, i + 3)), true)
  t.same(frames.map((f) => f.length), [a.length, 12, a.length])
  t.equal(frames[1].subarray(4, 9).toString(), 'abcde')
  t.equal(createStreamFramer(() => {})(Buffer.from([0xff, 0, 0, 0])), false, 'not TURN')
  t.equal(createStreamFramer(() => {})(Buffer.from('GET / HTTP/1.1\r\n')), false, 'HTTP is not TURN')
  t.equal(createStreamFramer(() => {})(channelData(0x4000, Buffer.from('abcd'))), false, 'ChannelData before any STUN')
  t.equal(createStreamFramer(() => {})(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01])), false, 'a TLS ClientHello on the TCP port')

  const { tcp } = await startTurn(t)
  const s = net.connect(tcp!.port, tcp!.address)
  await new Promise((resolve) => s.once('connect', resolve))
  s.on('error', () => {})
  const closed = new Promise((resolve) => s.once('close', resolve))
  s.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'))
  await closed
  t.pass('server hung up on a non-TURN stream')
})
