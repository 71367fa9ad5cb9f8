import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { loadConfig } from '../../config/load.js'
import { keyringFromJson, newKeyringJson } from '../../core/crypto/keyring.js'
import { buildApp } from '../../server/app.js'
import { signingKeysFromJwks, newSigningJwk } from '../../server/auth/signing-keys.js'
import { createServices, type ServiceOverrides, type StartedServices } from '../../server/services.js'
import { testDb } from './db.js'

export interface TestApp {
  app: FastifyInstance
  services: StartedServices
  /** Every log line the app wrote, to grep for PHI. */
  logs: string[]
  databaseUrl: string
  /** The keys it was built with, so a second "process" can share them. */
  keys: Required<ServiceOverrides>
}

/**
 * A real app on a fresh database with fresh keys. Settings are passed as the
 * same environment names an operator uses. With `peerOf`, it is a second API
 * process of the same deployment: same database, same keys.
 */
export async function buildTestApp (t: Test, settings: Record<string, string> = {}, o: { peerOf?: TestApp } = {}): Promise<TestApp> {
  const databaseUrl = o.peerOf?.databaseUrl ?? settings.DATABASE_URL ?? await testDb(t)
  const dataDir = mkdtempSync(join(tmpdir(), 'bedside-test-'))
  const config = loadConfig({
    env: {},
    overrides: { NODE_ENV: 'test', LOG_LEVEL: 'info', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, RATE_LIMIT_MAX: '100000', ...settings }
  })
  const keys = o.peerOf?.keys ?? {
    keyring: keyringFromJson(newKeyringJson()),
    signingKeys: await signingKeysFromJwks({ keys: [await newSigningJwk('test-1')] })
  }
  const services = await createServices(config, keys)
  const logs: string[] = []
  const logStream = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  let app: FastifyInstance | undefined
  t.teardown(async () => {
    await app?.close()
    await services.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  app = await buildApp(services, { logStream })
  await app.ready()
  return { app, services, logs, databaseUrl, keys }
}
