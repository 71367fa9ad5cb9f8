import { existsSync } from 'node:fs'
import t from 'tap'
import { createAppointment } from '../signalling/helpers.js'
import { cspViolations, exclusiveBrowsers, flowing, mediaCounters, openBrowser, pageUser, signIn, until, webApp } from './helpers.js'
import { startTurn } from './visit-flow.js'

const haveChromium = existsSync('/usr/bin/chromium')

t.test('a provider invites an interpreter, who checks devices, waits, is admitted and gets media', {
  skip: !haveChromium && 'no chromium', timeout: 180_000
}, async (t) => {
  await exclusiveBrowsers(t)
  const turn = await startTurn(t)
  const { app, base } = await webApp(t, { TURN_URLS: turn.urls })
  const dr = await pageUser(app, 'provider')
  const pu = await pageUser(app, 'patient')
  await createAppointment(app, pu.user, dr.user)

  const provider = await openBrowser(t)
  await signIn(provider.page, base, dr)
  await provider.page.getByRole('button', { name: /^Start visit/ }).click()
  await provider.page.getByRole('heading', { name: 'Video visit' }).waitFor()
  await provider.page.getByText('Invite a guest').click()
  await provider.page.getByLabel('Guest', { exact: true }).selectOption('interpreter')
  await provider.page.getByLabel('Shown as').fill('Spanish interpreter')
  await provider.page.getByRole('button', { name: 'Create invite link' }).click()
  const link = await provider.page.getByLabel('Invite link').inputValue()
  t.match(link, new RegExp(`^${base}/#invite=[A-Za-z0-9_-]{20,}$`), 'the secret travels in the fragment only')
  await provider.page.screenshot({ path: 'test/screenshots/provider-invite.png' })

  const guest = await openBrowser(t, { viewport: { width: 390, height: 844 } })
  await guest.page.goto(link)
  await guest.page.getByRole('heading', { name: 'Device check' }).waitFor({ timeout: 20_000 })
  t.equal(guest.page.url(), `${base}/`, 'the invite secret is wiped from the address bar')
  await guest.page.getByRole('button', { name: 'Go to the waiting room' }).waitFor()
  await guest.page.waitForFunction(() => !(document.querySelector('button.primary') as HTMLButtonElement | null)?.disabled, undefined, { timeout: 30_000 })
  await guest.page.getByRole('button', { name: 'Go to the waiting room' }).click()
  await guest.page.getByRole('heading', { name: 'Waiting room' }).waitFor()

  const entry = provider.page.locator('.queue-entry', { hasText: 'Spanish interpreter' })
  await entry.waitFor({ timeout: 15_000 })
  t.pass('the provider sees the interpreter waiting, by the label given')
  await entry.getByRole('button', { name: /^Admit/ }).click()
  await guest.page.getByRole('heading', { name: 'Video visit' }).waitFor({ timeout: 15_000 })
  await until(() => mediaCounters(guest.page), (c) => c.framesDecoded > 0 && c.samplesReceived > 0, 20_000)
  const f = await flowing(guest.page)
  t.ok(f.ok, `guest receives the provider: frames ${f.before.framesDecoded} -> ${f.after.framesDecoded}`)
  await provider.page.locator('.tile .tile-label', { hasText: 'Spanish interpreter' }).waitFor({ timeout: 15_000 })
  t.pass('the provider sees the interpreter\'s tile')
  await guest.page.waitForTimeout(1500)
  await guest.page.screenshot({ path: 'test/screenshots/phone-guest-visit.png' })
  t.same(await cspViolations(guest.page), [])

  // The link was single-use.
  const again = await openBrowser(t)
  await again.page.goto(link)
  await again.page.getByRole('status').filter({ hasText: /invite link is (already used|not valid|expired)/ }).waitFor({ timeout: 10_000 })
  t.pass('a used invite link is refused')
})
