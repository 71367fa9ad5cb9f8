import t from 'tap'
import { cast, joinAs, signallingApp } from './helpers.js'

t.test('smoke', async (t) => {
  const { app, url } = await signallingApp(t)
  const { patient, provider, appointmentId } = await cast(app)
  const prov = await joinAs(url, app, provider, appointmentId)
  t.equal(prov.result.state, 'admitted')
  const pat = await joinAs(url, app, patient, appointmentId)
  t.equal(pat.result.state, 'waiting')
  const q = await prov.c.next('queue', (d) => d.entries.length === 1)
  await prov.c.call('admit', { participantId: q.entries[0].participantId })
  const adm = await pat.c.next('admitted')
  t.equal(adm.visit.participants.length, 2)
  prov.c.close(); pat.c.close()
})
