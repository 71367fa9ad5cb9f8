// The API process: configuration, services, listen. Everything else lives in app.ts.
import { readFileSync } from 'node:fs'
import { ConfigError, loadConfig, type Config } from '../config/load.js'
import { buildApp } from './app.js'
import { messageWorkerRuns } from './notify/message-worker.js'
import { createServices, ensureDevTurnSecret } from './services.js'

async function main (): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Bedside cannot start.\n${err.message}\n`)
      process.exit(78) // EX_CONFIG
    }
    throw err
  }
  const devNotes = ensureDevTurnSecret(config)
  const services = await createServices(config)
  services.notes.push(...devNotes, ...deliveryNotes(config))
  const https = config.server.tlsCertFile && config.server.tlsKeyFile
    ? { cert: readFileSync(config.server.tlsCertFile), key: readFileSync(config.server.tlsKeyFile) }
    : undefined
  const app = await buildApp(services, { https })
  const address = await app.listen({ host: config.server.host, port: config.server.port })
  const banner = [
    `Bedside API listening on ${address} (${config.server.env})`,
    ...services.notes.map((n) => `  ${n}`),
    ...(services.applied.length ? [`  migrations applied: ${services.applied.join(', ')}`] : []),
    `  API docs: ${address}/docs`
  ]
  process.stdout.write(banner.join('\n') + '\n')

  let closing = false
  const stop = async (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    await app.close()
    await services.close()
    process.exit(0)
  }
  process.on('SIGINT', () => { void stop('SIGINT') })
  process.on('SIGTERM', () => { void stop('SIGTERM') })
}

/** Where messages and media go, in the words an operator needs at start. */
function deliveryNotes (config: Config): string[] {
  const m = config.messages
  const transports = [m.smtpUrl ? 'SMTP' : null, m.smsWebhookUrl ? 'SMS webhook' : null].filter(Boolean).join(' and ')
  return [
    transports
      ? `mail: ${transports} (message worker ${messageWorkerRuns(m) ? 'on' : 'off'} in this process)`
      : `mail: none (no SMTP_URL): account emails and reminders wait in the outbox${config.server.env === 'development' ? '; their links are printed here' : ''}`,
    config.media.nodes === 'remote'
      ? 'media: remote media nodes from the Redis registry (MEDIA_NODES=remote)'
      : `media: in this process (MEDIA_NODES=local, MEDIA_ENGINE=${config.media.engine})`
  ]
}

main().catch((err: unknown) => {
  process.stderr.write(`Bedside failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
