import { existsSync } from 'node:fs'
import type { Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { publish } from '../../server/auth/consent.js'
import { currentCode } from '../../server/auth/totp.js'
import { lastMessage, LIGHT_HASH, PASSPHRASE } from '../server/auth/helpers.js'
import { createAppointment } from '../signalling/helpers.js'
import { createTestUser, bearer } from '../helpers/users.js'
import type { TestApp } from '../helpers/app.js'
import { cspViolations, exclusiveBrowsers, openBrowser, pageUser, webApp, type Browser } from './helpers.js'

const haveChromium = existsSync('/usr/bin/chromium')
// Markup in a document body must show as text, never become elements.
const HOSTILE = 'Section 1.\n\nYou agree to <img src=x onerror="window.__pwned=1"> video visits.'

// New versions over the ones the migration seeds, so the test controls their text.
async function publishDocuments (app: TestApp['app']): Promise<void> {
  const admin = await createTestUser(app, 'admin')
  await app.db.transaction(async (tx) => {
    await publish(tx, { kind: 'terms', title: 'Terms of use', body: 'Be kind.\nLine two.', roles: ['patient', 'provider', 'staff', 'admin'], by: admin.id })
    await publish(tx, { kind: 'privacy', title: 'Privacy notice', body: HOSTILE, roles: ['patient', 'provider', 'staff', 'admin'], by: admin.id })
    await publish(tx, { kind: 'telehealth-consent', title: 'Consent to telehealth', body: 'Video visits have limits.', roles: ['patient'], by: admin.id })
  })
}

/** Browser console errors, less the network log lines Chromium prints for every 4xx the test provokes on purpose. */
const realProblems = (b: Browser) => b.problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p))

async function noSecrets (t: Test, page: Page, base: string): Promise<void> {
  t.equal(page.url(), base + '/', 'address bar holds no token or path of the link')
  t.same(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, ''], 'nothing stored in the browser')
}

async function acceptConsent (t: Test, page: Page, titles: string[], shots: string): Promise<void> {
  for (const [i, title] of titles.entries()) {
    await page.getByRole('heading', { name: title }).waitFor()
    t.pass(`consent document ${i + 1}: ${title}`)
    if (i === 0) {
      await page.screenshot({ path: `test/screenshots/${shots}-consent.png`, fullPage: true })
      await page.getByRole('button', { name: 'Accept and continue' }).click()
      t.match(await page.getByRole('alert').textContent(), /Tick the box/, 'cannot accept without ticking')
      // Keyboard only: focus the box, Space ticks it, Tab to the button, Enter submits.
      await page.getByLabel(/I have read and accept/).focus()
      await page.keyboard.press('Space')
      await page.keyboard.press('Tab')
      t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Accept and continue', 'focus moves to the button')
      await page.keyboard.press('Enter')
    } else {
      await page.getByLabel(/I have read and accept/).check()
      await page.getByRole('button', { name: 'Accept and continue' }).click()
    }
  }
}

t.test('a new patient registers, verifies the email, signs in, accepts consent and reaches the appointments (phone)', { skip: !haveChromium && 'no chromium' }, async (t) => {
  await exclusiveBrowsers(t)
  const { app, base } = await webApp(t, LIGHT_HASH)
  await publishDocuments(app)
  const email = `new-patient-${Date.now()}@example.test`
  const b = await openBrowser(t, { viewport: { width: 390, height: 844 } })
  const { page } = b
  await page.goto(base + '/')
  await page.getByRole('button', { name: 'New patient? Create an account' }).click()
  await page.getByRole('heading', { name: 'Create a patient account' }).waitFor()
  t.match(await page.locator('.hint').textContent(), /At least 15 characters.*passphrase/, 'the policy is explained')
  t.ok(await page.getByLabel('New password', { exact: true }).getAttribute('aria-describedby'), 'policy linked to the field')
  await page.getByLabel('Email', { exact: true }).fill(email)
  await page.getByLabel('New password', { exact: true }).fill('short one')
  await page.getByRole('button', { name: 'Create account' }).click()
  t.match(await page.getByRole('alert').textContent(), /at least 15 characters/, 'too short: said before asking the server')
  // Too long is left to the server: its 422 message is shown as it is.
  await page.getByLabel('New password', { exact: true }).fill('x'.repeat(130))
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByRole('alert').filter({ hasText: /at most 128/ }).waitFor()
  t.pass('the server\'s policy message is shown')
  await page.getByLabel('New password', { exact: true }).fill(PASSPHRASE)
  await page.screenshot({ path: 'test/screenshots/onboarding-register.png', fullPage: true })
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByRole('heading', { name: 'Check your email' }).waitFor()
  await page.screenshot({ path: 'test/screenshots/onboarding-check-email.png', fullPage: true })

  const msg = await lastMessage(app, email, 'verify-email')
  t.ok(msg?.link?.startsWith(`${base}/verify-email#token=`), 'the mailed link opens the page with the token in the fragment')
  await page.goto(msg!.link!)
  await page.getByRole('heading', { name: 'Email confirmed' }).waitFor()
  await noSecrets(t, page, base)
  const { rows } = await app.db.query<{ v: boolean }>('SELECT email_verified_at IS NOT NULL AS v FROM users WHERE role = $1 AND email_verified_at IS NOT NULL AND password_hash IS NOT NULL', ['patient'])
  t.equal(rows.length, 1, 'the account is verified')
  await page.screenshot({ path: 'test/screenshots/onboarding-verified.png', fullPage: true })
  // The link is single-use: opening it again says so.
  await page.goto(msg!.link!)
  await page.getByRole('heading', { name: 'This link did not work' }).waitFor()
  t.pass('a used link is refused with a message')

  await page.getByRole('button', { name: 'Go to sign in' }).click()
  await page.getByLabel('Email', { exact: true }).fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSPHRASE)
  await page.getByRole('button', { name: 'Sign in' }).click()
  // Sign-in goes to the appointments; their 403 BDS_ERR_CONSENT_REQUIRED routes here.
  await page.getByRole('heading', { name: 'Privacy notice' }).waitFor()
  t.match(await page.locator('.consent-body').textContent(), /<img src=x onerror=/, 'markup in a document is shown as text')
  t.equal(await page.locator('.consent-body img').count(), 0, 'and creates no element')
  // In kind order, as GET /consent lists them: privacy, telehealth-consent, terms.
  await acceptConsent(t, page, ['Privacy notice', 'Consent to telehealth', 'Terms of use'], 'onboarding-patient')
  await page.getByRole('heading', { name: 'My appointments' }).waitFor()
  await page.getByText(/No upcoming appointments|upcoming appointment/).waitFor()
  await page.screenshot({ path: 'test/screenshots/onboarding-patient-appointments.png', fullPage: true })
  const accepted = await app.db.query('SELECT kind FROM consent_acceptances a JOIN users u ON u.id = a.user_id WHERE u.role = $1 AND u.password_hash IS NOT NULL', ['patient'])
  t.equal(accepted.rowCount, 3, 'all three documents accepted')
  await noSecrets(t, page, base)
  t.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'no script from a document ran')
  t.same(await cspViolations(page), [], 'no CSP violations')
  t.same(realProblems(b), [], 'no page errors')
})

t.test('an invited provider sets a password, enrols MFA, saves recovery codes, accepts consent and reaches the provider view', { skip: !haveChromium && 'no chromium' }, async (t) => {
  await exclusiveBrowsers(t)
  const { app, base } = await webApp(t, LIGHT_HASH)
  await publishDocuments(app)
  const admin = await createTestUser(app, 'admin')
  const email = `new-provider-${Date.now()}@example.test`
  const inv = await app.inject({ method: 'POST', url: '/admin/invitations', headers: bearer(admin), payload: { email, role: 'provider' } })
  t.equal(inv.statusCode, 201, 'invited')
  const providerId = (inv.json() as { userId: string }).userId
  const patient = await createTestUser(app, 'patient')
  await createAppointment(app, patient, { ...patient, id: providerId, role: 'provider' }, { startsInMinutes: 10 })

  const msg = await lastMessage(app, email, 'invitation')
  t.ok(msg?.link?.startsWith(`${base}/accept-invitation#token=`), 'invitation link with the token in the fragment')
  const b = await openBrowser(t)
  const { page } = b
  await page.goto(msg!.link!)
  await page.getByRole('heading', { name: 'Set up your Bedside account' }).waitFor()
  t.equal(page.url(), base + '/', 'token wiped from the address bar at once')
  await page.getByLabel('New password', { exact: true }).fill(PASSPHRASE)
  await page.screenshot({ path: 'test/screenshots/onboarding-invitation.png', fullPage: true })
  await page.getByRole('button', { name: 'Create my password' }).click()
  await page.getByRole('heading', { name: 'Your account is ready' }).waitFor()
  await page.getByRole('button', { name: 'Go to sign in' }).click()
  await page.getByLabel('Email', { exact: true }).fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSPHRASE)
  await page.getByRole('button', { name: 'Sign in' }).click()

  await page.getByRole('heading', { name: 'Set up two-step sign-in' }).waitFor()
  await page.locator('img.qr').waitFor()
  t.ok(await page.locator('img.qr').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'QR code image decoded')
  t.ok(await page.locator('img.qr').getAttribute('alt'), 'QR code has a text alternative')
  const secret = (await page.locator('.secret').textContent())!.replace(/\s+/g, '')
  t.match(secret, /^[A-Z2-7]{16,}$/, 'the key is written out for manual entry')
  await page.screenshot({ path: 'test/screenshots/onboarding-mfa-enrol.png', fullPage: true })
  await page.getByLabel('Code from the app').fill('000000')
  await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click()
  await page.getByRole('alert').filter({ hasText: /wrong/ }).waitFor()
  t.pass('a wrong code is refused with the server\'s message')
  await page.getByLabel('Code from the app').fill(currentCode(secret))
  await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click()

  await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor()
  const codes = await page.locator('.recovery-codes li').allTextContents()
  t.equal(codes.length, 10, 'ten recovery codes shown')
  t.ok(codes.every((c) => /^[A-Za-z0-9]{5}-?[A-Za-z0-9]{5}$/.test(c.trim())), 'in the recovery code format')
  await page.screenshot({ path: 'test/screenshots/onboarding-recovery-codes.png', fullPage: true })
  await page.getByRole('button', { name: 'Continue' }).click()
  t.match(await page.getByRole('alert').textContent(), /Tick the box/, 'must confirm the codes are saved')
  await page.getByLabel('I have saved my recovery codes').check()
  await page.getByRole('button', { name: 'Continue' }).click()

  await acceptConsent(t, page, ['Privacy notice', 'Terms of use'], 'onboarding-provider')
  await page.getByRole('heading', { name: 'My appointments' }).waitFor()
  await page.getByRole('button', { name: /^Start visit at/ }).waitFor()
  t.pass('the provider view: appointments with Start visit')
  await page.screenshot({ path: 'test/screenshots/onboarding-provider-appointments.png', fullPage: true })
  const u = await app.db.query<{ on: boolean }>('SELECT mfa_enabled_at IS NOT NULL AS on FROM users WHERE id = $1', [providerId])
  t.equal(u.rows[0]?.on, true, 'MFA is on for the account')
  await noSecrets(t, page, base)
  t.same(await cspViolations(page), [], 'no CSP violations')
  t.same(realProblems(b), [], 'no page errors')
})

t.test('a forgotten password is reset through the mailed link; a link without its token is explained', { skip: !haveChromium && 'no chromium' }, async (t) => {
  await exclusiveBrowsers(t)
  const { app, base } = await webApp(t, LIGHT_HASH)
  const pu = await pageUser(app, 'patient')
  const b = await openBrowser(t, { viewport: { width: 390, height: 844 } })
  const { page } = b
  await page.goto(base + '/verify-email')
  await page.getByRole('heading', { name: 'This link is incomplete' }).waitFor()
  t.equal(page.url(), base + '/', 'the link path is cleared too')

  await page.getByRole('button', { name: 'Go to sign in' }).click()
  await page.getByRole('button', { name: 'Forgot your password?' }).click()
  await page.getByLabel('Email', { exact: true }).fill(pu.email)
  await page.getByRole('button', { name: 'Email me a reset link' }).click()
  await page.getByRole('heading', { name: 'Check your email' }).waitFor()
  const msg = await lastMessage(app, pu.email, 'password-reset')
  t.ok(msg?.link?.startsWith(`${base}/reset-password#token=`), 'reset link with the token in the fragment')
  await page.goto(msg!.link!)
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor()
  t.equal(page.url(), base + '/', 'token wiped from the address bar')
  const fresh = 'a brand new passphrase for bedside'
  await page.getByLabel('New password', { exact: true }).fill(fresh)
  await page.screenshot({ path: 'test/screenshots/onboarding-reset.png', fullPage: true })
  await page.getByRole('button', { name: 'Change my password' }).click()
  await page.getByRole('heading', { name: 'Password changed' }).waitFor()
  await page.getByRole('button', { name: 'Go to sign in' }).click()
  await page.getByLabel('Email', { exact: true }).fill(pu.email)
  await page.getByLabel('Password', { exact: true }).fill(fresh)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'My appointments' }).waitFor()
  t.pass('signed in with the new password')
  await noSecrets(t, page, base)
  t.same(await cspViolations(page), [], 'no CSP violations')
  t.same(realProblems(b), [], 'no page errors')
})
