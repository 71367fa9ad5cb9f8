import t from 'tap'
import { withDevConsole } from '../../server/notify/dev-console-notifier.js'

t.test('development console notifier prints the link, never the address, after storing', async (t) => {
  const stored: string[] = []
  const lines: string[] = []
  const n = withDevConsole({ async send (m) { stored.push(m.purpose) } }, (l) => lines.push(l))
  await n.send({ userId: 'u1', to: 'someone@example.test', purpose: 'verify-email', link: 'http://localhost:8080/verify-email#token=abc' })
  t.same(stored, ['verify-email'])
  t.equal(lines.length, 1)
  t.match(lines[0], /verify-email for user u1: http:\/\/localhost:8080\/verify-email#token=abc/)
  t.notMatch(lines[0], /someone@example/)
})
