import { existsSync } from 'node:fs'
import t from 'tap'
import { createAppointment } from '../signalling/helpers.js'
import { cspViolations, exclusiveBrowsers, openBrowser, pageUser, signIn, webApp } from './helpers.js'

const haveChromium = existsSync('/usr/bin/chromium')

t.test('the page and its bundle are served, public, under a strict CSP', async (t) => {
  const { app } = await webApp(t)
  const page = await app.inject({ url: '/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  const csp = String(page.headers['content-security-policy'])
  t.match(csp, /script-src 'self'(;|$)/, 'scripts only from our origin')
  t.notMatch(csp, /script-src[^;]*unsafe-inline/, 'no inline scripts allowed')
  t.notMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'the page has no inline script')
  t.notMatch(page.body, /\son[a-z]+=/i, 'and no inline event handlers')

  const js = await app.inject({ url: '/assets/app.js' })
  t.equal(js.statusCode, 200)
  t.match(js.headers['content-type'], /javascript/)
  t.ok(js.body.length > 50_000, 'bundle includes the client and mediasoup-client')
  t.notMatch(js.body, /\beval\(|new Function\(/, 'nothing in the bundle needs unsafe-eval')
  t.equal((await app.inject({ url: '/assets/app.css' })).statusCode, 200)
  t.equal((await app.inject({ url: '/assets/..%2Fplugin.ts' })).statusCode, 400, 'only the known files')
  t.equal((await app.inject({ url: '/assets/server.key' })).statusCode, 400)

  const routes = app.accessTable.filter((r) => r.url === '/' || r.url.startsWith('/assets'))
  t.ok(routes.length >= 2)
  for (const r of routes) t.equal(r.config?.access, 'public', `${r.url} is declared public`)
})

t.test('Chromium loads the sign-in page without CSP violations or errors', { skip: !haveChromium && 'no chromium' }, async (t) => {
  await exclusiveBrowsers(t)
  const { base } = await webApp(t)
  const b = await openBrowser(t)
  await b.page.goto(base + '/')
  await b.page.getByRole('heading', { name: 'Sign in to Bedside' }).waitFor()
  t.ok(await b.page.getByLabel('Email').isVisible(), 'labelled email field')
  t.ok(await b.page.getByLabel('Password').isVisible(), 'labelled password field')
  // Focus starts on the page heading (announced by screen readers); Tab then walks the form in order.
  t.equal(await b.page.evaluate(() => document.activeElement?.tagName), 'H1')
  const order: string[] = []
  for (let i = 0; i < 3; i++) {
    await b.page.keyboard.press('Tab')
    order.push(await b.page.evaluate(() => { const e = document.activeElement as HTMLInputElement; return e.name || e.textContent || '' }))
  }
  t.same(order, ['email', 'password', 'Sign in'], 'focus order')
  await b.page.getByRole('button', { name: 'Sign in' }).click()
  t.match(await b.page.getByRole('alert').first().textContent(), /Enter your email/, 'validation message in an alert region')
  t.same(await cspViolations(b.page), [], 'no CSP violations')
  t.same(b.problems, [], 'no console errors')
  await b.page.screenshot({ path: 'test/screenshots/sign-in.png' })
})

t.test('sign-in with MFA through the page; appointments list; sign-out forgets the token', { skip: !haveChromium && 'no chromium' }, async (t) => {
  await exclusiveBrowsers(t)
  const { app, base } = await webApp(t)
  const dr = await pageUser(app, 'provider')
  const pu = await pageUser(app, 'patient')
  await createAppointment(app, pu.user, dr.user, { startsInMinutes: 5 })
  const b = await openBrowser(t)
  await b.page.goto(base + '/')
  await b.page.getByLabel('Email').fill(dr.email)
  await b.page.getByLabel('Password').fill('not the password')
  await b.page.getByRole('button', { name: 'Sign in' }).click()
  await b.page.getByRole('alert').filter({ hasText: /./ }).waitFor()
  t.notMatch(await b.page.getByRole('alert').first().textContent(), /Enter your email/, 'wrong password refused with the server\'s message')

  await b.page.getByLabel('Password').fill(dr.password)
  await b.page.getByRole('button', { name: 'Sign in' }).click()
  await b.page.getByRole('heading', { name: 'Two-step verification' }).waitFor()
  await b.page.screenshot({ path: 'test/screenshots/mfa.png' })
  await b.page.getByLabel('Code').fill(dr.code())
  await b.page.getByRole('button', { name: 'Verify' }).click()
  await b.page.getByRole('heading', { name: 'My appointments' }).waitFor()
  await b.page.locator('.appointment').first().waitFor()
  t.equal(await b.page.locator('.appointment').count(), 1, 'the provider sees the appointment')
  t.ok(await b.page.getByRole('button', { name: /^Start visit at/ }).isVisible(), 'with a labelled Start visit button')
  t.notMatch(b.page.url(), /token|ticket|[0-9a-f]{8}-[0-9a-f]{4}/i, 'no token or id in the URL')
  t.same(await b.page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, ''], 'nothing stored in the browser')
  await b.page.screenshot({ path: 'test/screenshots/appointments-provider.png' })

  await b.page.getByRole('button', { name: 'Sign out' }).click()
  await b.page.getByRole('heading', { name: 'Sign in to Bedside' }).waitFor()
  t.pass('signed out')

  const p = await openBrowser(t, { viewport: { width: 390, height: 844 } })
  await signIn(p.page, base, pu)
  await p.page.locator('.appointment').first().waitFor()
  await p.page.screenshot({ path: 'test/screenshots/phone-appointments-patient.png' })
  t.ok(await p.page.getByRole('button', { name: /^Join video visit at/ }).isVisible(), 'the patient can join from the list')
  t.same(await cspViolations(b.page), [])
  t.same(await cspViolations(p.page), [])
})
