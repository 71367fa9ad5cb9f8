import pg from 'pg'
import t from 'tap'
import { appendAudit, verifyAuditChain } from '../../core/audit/audit-log.js'
import { createDb } from '../../core/db/db.js'
import { migrate } from '../../core/db/migrate.js'
import { testDb } from '../helpers/db.js'

t.test('audit log: chained, append-only, verified, tamper caught', async (t) => {
  const url = await testDb(t)
  const db = await createDb({ databaseUrl: url, poolSize: 8 })
  t.teardown(() => db.close())
  await migrate(db)

  // Concurrent writers from 8 connections must still form one unbroken chain.
  await Promise.all(Array.from({ length: 200 }, (_, i) => appendAudit(db, {
    action: 'test.event', outcome: i % 7 === 0 ? 'failure' : 'success', targetType: 'thing', targetId: String(i),
    details: { i, nested: { b: 1, a: [1, 2] } }
  })))
  const first = await verifyAuditChain(db, 37)
  t.same(first, { ok: true, checked: 200 })

  await t.rejects(db.query('UPDATE audit_log SET action = $1 WHERE seq = 5', ['x']), /append-only/)
  await t.rejects(db.query('DELETE FROM audit_log WHERE seq = 5'), /append-only/)
  await t.rejects(db.query('TRUNCATE audit_log'), /append-only/)

  // A superuser disables the trigger and edits history: verify names the entry.
  const su = new pg.Client({ connectionString: url })
  await su.connect()
  await su.query('ALTER TABLE audit_log DISABLE TRIGGER audit_no_update')
  await su.query(`UPDATE audit_log SET details = '{"i": 999}' WHERE seq = 42`)
  const tampered = await verifyAuditChain(db)
  t.equal(tampered.ok, false)
  t.equal(tampered.firstBroken?.seq, '42')
  t.match(tampered.firstBroken?.reason, /hash/)

  await su.query(`UPDATE audit_log SET details = '{"i": 41, "nested": {"a": [1, 2], "b": 1}}' WHERE seq = 42`)
  await su.query('DELETE FROM audit_log WHERE seq = 10')
  const gap = await verifyAuditChain(db)
  t.equal(gap.firstBroken?.seq, '11')
  await su.end()
})
