import t from 'tap'
import { chatSealContext } from '../../signalling/chat.js'
import { CloseCodes } from '../../signalling/protocol.js'
import { bearer } from '../helpers/users.js'
import { appointmentStatus, cast, Client, joinAs, signallingApp, ticketFor } from './helpers.js'

t.test('guest invite, chat and the end of the visit', async (t) => {
  const { app, url, logs } = await signallingApp(t)
  const { patient, provider, appointmentId } = await cast(app)
  const prov = await joinAs(url, app, provider, appointmentId)
  const pat = await joinAs(url, app, patient, appointmentId)
  const q = await prov.c.next('queue', (d) => d.entries.length === 1)
  await prov.c.call('admit', { participantId: q.entries[0].participantId })
  await pat.c.next('admitted')

  // The invite over the socket; the HTTP route does the same for a provider not yet in the visit.
  const invite = await prov.c.call('inviteGuest', { guestKind: 'interpreter', label: 'Interprète Dupont' })
  t.match(invite.inviteToken, /^gi_/)
  const viaHttp = await app.inject({
    method: 'POST', url: `/visits/${appointmentId}/guests`, headers: bearer(provider), payload: { guestKind: 'family', label: 'Daughter' }
  })
  t.equal(viaHttp.statusCode, 201)
  const byPatient = await app.inject({
    method: 'POST', url: `/visits/${appointmentId}/guests`, headers: bearer(patient), payload: { guestKind: 'family', label: 'x' }
  })
  t.equal(byPatient.statusCode, 403, 'patients cannot invite')
  const sealed = await app.db.query<{ label_sealed: Buffer }>('SELECT label_sealed FROM visit_guests WHERE id = $1', [invite.inviteId])
  t.notOk(Buffer.from(sealed.rows[0].label_sealed).includes('Dupont'), 'guest label stored sealed')

  const redeem = (inviteToken: string) => app.inject({ method: 'POST', url: '/guest-invites/ticket', payload: { inviteToken } })
  const first = await redeem(invite.inviteToken)
  t.equal(first.statusCode, 201)
  t.equal(first.json().appointmentId, appointmentId)
  const second = await redeem(invite.inviteToken)
  t.equal(second.statusCode, 422, 'the link works once')
  t.match(second.json().message, /already used/)
  t.equal((await redeem('gi_' + 'B'.repeat(43))).statusCode, 422, 'unknown link')

  const guest = await Client.open(url)
  const joined = await guest.call('join', { version: 1, ticket: first.json().ticket })
  t.equal(joined.state, 'waiting', 'the guest waits for admission too')
  t.equal(joined.role, 'guest')
  const gq = await prov.c.next('queue', (d) => d.entries.some((e) => e.role === 'guest'))
  const entry = gq.entries.find((e) => e.role === 'guest')!
  t.equal(entry.label, 'Interprète Dupont')
  t.equal(entry.guestKind, 'interpreter')

  await pat.c.call('chat', { text: 'Before the interpreter: my private question' })
  await prov.c.next('chat')
  await prov.c.call('admit', { participantId: entry.participantId })
  const { visit } = await guest.next('admitted')
  t.equal(visit.participants.length, 3)
  t.same(visit.chat, [], 'a guest does not see the chat from before its admission')
  const seen = await pat.c.next('participantJoined')
  t.equal(seen.participant.label, 'Interprète Dupont')
  const invited = await guest.request('inviteGuest', { guestKind: 'other', label: 'x' })
  t.equal(invited.ok ? 'ok' : invited.error.code, 'BDS_WS_FORBIDDEN', 'guests cannot invite')

  t.test('chat is delivered, stored sealed, audited without its text', async (t) => {
    const text = 'Chest pain since Tuesday, allergic to penicillin'
    const sent = await pat.c.call('chat', { text })
    t.equal(sent.message.text, text)
    t.same((await prov.c.next('chat')).message, sent.message)
    t.same((await guest.next('chat')).message, sent.message)
    const { rows } = await app.db.query<{ id: string; text: Buffer }>('SELECT id, text FROM chat_messages WHERE id = $1', [sent.message.messageId])
    t.notOk(Buffer.from(rows[0].text).includes('penicillin'), 'ciphertext only')
    t.equal(await app.phiVault.open(Buffer.from(rows[0].text), chatSealContext(rows[0].id)), text, 'opens with its row context')
    t.equal(app.phi.dataKeyIdOf(Buffer.from(rows[0].text)),
      (await app.db.query<{ id: string }>('SELECT k.id FROM phi_data_keys k JOIN users u ON u.id = k.subject_id WHERE u.id = $1', [patient.id])).rows[0]?.id,
      'sealed with the patient\'s data key (erasing the patient shreds it)')
    await t.rejects(app.phiVault.open(Buffer.from(rows[0].text), chatSealContext('00000000-0000-4000-8000-000000000000')), 'not with another row')
    const audit = await app.db.query<{ details: unknown }>("SELECT details FROM audit_log WHERE action = 'visit.chat'")
    t.equal(audit.rows.length, 2)
    t.notMatch(JSON.stringify(audit.rows), /penicillin|private question/)
    t.notMatch(logs.join(''), /penicillin|private question|Dupont/, 'nothing of it in the logs')
    t.notMatch(logs.join(''), /\b(vt|gi|rt)_[A-Za-z0-9_-]{43}/, 'no ticket, invite or resume token in the logs')
    const tooLong = await pat.c.request('chat', { text: 'x'.repeat(2001) })
    t.equal(tooLong.ok ? 'ok' : tooLong.error.code, 'BDS_WS_VALIDATION')
  })

  t.test('a guest leaves', async (t) => {
    const again = await app.inject({ method: 'POST', url: `/visits/${appointmentId}/guests`, headers: bearer(provider), payload: { guestKind: 'other', label: 'Neighbour' } })
    const ticket = (await app.inject({ method: 'POST', url: '/guest-invites/ticket', payload: { inviteToken: again.json().inviteToken } })).json().ticket
    const g2 = await Client.open(url)
    await g2.call('join', { version: 1, ticket })
    const q = await prov.c.next('queue', (d) => d.entries.some((e) => e.label === 'Neighbour'))
    await prov.c.call('admit', { participantId: q.entries.find((e) => e.label === 'Neighbour')!.participantId })
    const { visit } = await g2.next('admitted')
    await g2.call('leave', {})
    t.equal((await g2.closed).code, CloseCodes.normal)
    t.same(await pat.c.next('participantLeft', (d) => d.participantId === visit.you.participantId), { participantId: visit.you.participantId, reason: 'left' })
    const leaves = await app.db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE action = 'visit.leave' AND details->>'reason' = 'left'")
    t.equal(leaves.rows[0].n, 1, 'leave audited')
  })

  t.test('the provider ends the visit: everyone out, appointment fulfilled', async (t) => {
    const byPatient = await pat.c.request('endVisit', {})
    t.equal(byPatient.ok ? 'ok' : byPatient.error.code, 'BDS_WS_FORBIDDEN')
    await prov.c.call('endVisit', {})
    for (const c of [prov.c, pat.c, guest]) {
      await c.next('visitEnded')
      t.equal((await c.closed).code, CloseCodes.visitEnded)
    }
    t.equal(await appointmentStatus(app, appointmentId), 'fulfilled')
    const v = await app.db.query<{ state: string; ended_by: string }>('SELECT state, ended_by FROM visits WHERE appointment_id = $1', [appointmentId])
    t.same(v.rows[0], { state: 'ended', ended_by: provider.id })
    const dump = await (await app.signalling.engine()).dump()
    t.equal(dump.rooms, 0, 'media room closed')
    const res = await app.inject({ method: 'POST', url: `/visits/${appointmentId}/ticket`, headers: bearer(patient) })
    t.equal(res.statusCode, 409, 'no new tickets for an ended visit')
    const ended = await app.db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE action = 'visit.end' AND actor_id = $1", [provider.id])
    t.equal(ended.rows[0].n, 1, 'end audited')
  })

  t.test('an invite for a later visit is not spent by an early click', async (t) => {
    const later = await cast(app, { startsInMinutes: 24 * 60 })
    const res = await app.inject({
      method: 'POST', url: `/visits/${later.appointmentId}/guests`, headers: bearer(later.provider), payload: { guestKind: 'family', label: 'Son' }
    })
    t.equal(res.statusCode, 201, 'invites may go out ahead of time')
    const { inviteToken } = res.json()
    const early = await app.inject({ method: 'POST', url: '/guest-invites/ticket', payload: { inviteToken } })
    t.equal(early.statusCode, 409)
    await app.db.query("UPDATE appointments SET starts_at = now(), ends_at = now() + interval '30 minutes', busy_from = now(), busy_until = now() + interval '30 minutes' WHERE id = $1", [later.appointmentId])
    const onTime = await app.inject({ method: 'POST', url: '/guest-invites/ticket', payload: { inviteToken } })
    t.equal(onTime.statusCode, 201, 'the link still works at visit time')
  })

  t.test('a disabled account cannot use a ticket it already holds', async (t) => {
    const other = await cast(app)
    const ticket = await ticketFor(app, other.patient, other.appointmentId)
    await app.db.query('UPDATE users SET disabled_at = now() WHERE id = $1', [other.patient.id])
    const c = await Client.open(url)
    const r = await c.request('join', { version: 1, ticket })
    t.equal(r.ok ? 'ok' : r.error.code, 'BDS_WS_TICKET_INVALID')
    t.equal((await c.closed).code, CloseCodes.ticketInvalid)
  })
})
