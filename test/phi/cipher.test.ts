import { randomBytes, randomUUID } from 'node:crypto'
import t from 'tap'
import { keyringFromJson, newKeyringJson } from '../../core/crypto/keyring.js'
import { createPhiCipher, UndecryptableError } from '../../core/crypto/phi.js'

const ctxA = { table: 'patient_profiles', column: 'phone', row: randomUUID() }
const ctxB = { ...ctxA, row: randomUUID() }

t.test('values open only in their own table, column and row', async (t) => {
  const c = createPhiCipher(keyringFromJson(newKeyringJson()))
  const sealed = c.seal('+15550100', ctxA)
  t.equal(c.open(sealed, ctxA), '+15550100')
  t.throws(() => c.open(sealed, ctxB), UndecryptableError, 'copied to another row')
  t.throws(() => c.open(sealed, { ...ctxA, column: 'email' }), UndecryptableError, 'another column')
  t.throws(() => c.open(sealed, { ...ctxA, table: 'users' }), UndecryptableError, 'another table')
  const flipped = Buffer.from(sealed)
  flipped[flipped.length - 1] ^= 1
  t.throws(() => c.open(flipped, ctxA), UndecryptableError, 'a flipped bit')
  t.throws(() => c.open(sealed.subarray(0, 10), ctxA), UndecryptableError, 'truncated')
  const err = (() => { try { c.open(sealed, ctxB) } catch (e) { return e as Error } })()!
  t.notMatch(err.message, /5550100/, 'the error names the place, not the value')
  t.not(c.seal('+15550100', ctxA).toString('hex'), sealed.toString('hex'), 'fresh nonce and data key each time')
})

t.test('a value from another keyring (wrong key) is rejected', async (t) => {
  const a = createPhiCipher(keyringFromJson(newKeyringJson()))
  const b = createPhiCipher(keyringFromJson(newKeyringJson()))
  t.throws(() => b.open(a.seal('x', ctxA), ctxA), UndecryptableError)
  const dk = { id: randomUUID(), key: randomBytes(32) }
  const other = { id: dk.id, key: randomBytes(32) }
  t.throws(() => a.openWithDataKey(other, a.sealWithDataKey(dk, 'y', ctxA), ctxA), UndecryptableError, 'wrong data key')
  t.throws(() => a.openWithDataKey({ id: randomUUID(), key: dk.key }, a.sealWithDataKey(dk, 'y', ctxA), ctxA), UndecryptableError, 'another data key id')
  t.not(a.index('email', 'x@y.z').toString('hex'), b.index('email', 'x@y.z').toString('hex'), 'blind index is keyed')
  t.equal(a.index('email', 'x@y.z').toString('hex'), a.index('email', 'x@y.z').toString('hex'), 'and deterministic')
})

t.test('data keys are wrapped to their own id; rewrap moves a value to the active key without re-encrypting its body', async (t) => {
  const json = newKeyringJson()
  const c1 = createPhiCipher(keyringFromJson(json))
  const dk = { id: randomUUID(), key: randomBytes(32) }
  const w = c1.wrapDataKey(dk)
  t.same(c1.unwrapDataKey(dk.id, w.keyId, w.wrapped).key, dk.key)
  t.throws(() => c1.unwrapDataKey(randomUUID(), w.keyId, w.wrapped), 'a wrapped key copied to another id does not unwrap')

  const sealed = c1.seal('hello', ctxA)
  t.equal(c1.keyIdOf(sealed), 'k1')
  t.equal(c1.rewrap(sealed, ctxA), null, 'already on the active key')
  const c2 = createPhiCipher(keyringFromJson({ ...json, active: 'k2', keys: { ...json.keys, k2: randomBytes(32).toString('base64') } }))
  const moved = c2.rewrap(sealed, ctxA)!
  t.equal(c2.keyIdOf(moved), 'k2')
  t.equal(c2.open(moved, ctxA), 'hello')
  t.same(moved.subarray(moved.length - 33), sealed.subarray(sealed.length - 33), 'body untouched: only the record key was re-wrapped')
  t.throws(() => c1.open(moved, ctxA), UndecryptableError, 'a keyring without k2 cannot open it')
  t.equal(c2.keyIdOf(c2.sealWithDataKey(dk, 'z', ctxA)), `dek:${dk.id}`)
})

t.test('keyring validation', async (t) => {
  const json = newKeyringJson()
  t.throws(() => keyringFromJson({ ...json, active: 'nope' }), /not among its keys/)
  t.throws(() => keyringFromJson({ ...json, keys: { k1: 'c2hvcnQ=' } }), /32 bytes/)
  t.throws(() => keyringFromJson({ ...json, indexKey: json.keys.k1 }), /must differ/)
})
