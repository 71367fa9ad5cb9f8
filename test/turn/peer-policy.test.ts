import { test } from 'tap'
import { createPeerPolicy } from '../../turn/peer-policy.js'

test('reserved ranges are refused by default, public ones allowed', async (t) => {
  const allow = createPeerPolicy()
  for (const a of ['127.0.0.1', '10.1.2.3', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.1.1', '0.0.0.0',
    '224.0.0.251', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1',
    '0:0:0:0:0:ffff:7f00:1', '::ffff:a00:1', '64:ff9b::a00:1', 'not-an-ip', '']) {
    t.equal(allow(a), false, a)
  }
  for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2a00:1450:4001::1', '::ffff:8.8.8.8']) t.equal(allow(a), true, a)
})

test('allowed and denied lists', async (t) => {
  const p = createPeerPolicy({ allowed: ['127.0.0.1', '10.0.0.0/8', '::1'], denied: ['10.9.0.0/16', '8.8.8.8'] })
  t.equal(p('127.0.0.1'), true)
  t.equal(p('127.0.0.2'), false)
  t.equal(p('10.1.1.1'), true)
  t.equal(p('10.9.1.1'), false, 'deny wins over allow')
  t.equal(p('8.8.8.8'), false)
  t.equal(p('::1'), true)
  t.equal(p('0:0:0:0:0:0:0:1'), true, 'node-turn writes IPv6 uncompressed')
  t.throws(() => createPeerPolicy({ allowed: ['nope'] }))
})
