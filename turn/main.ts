import { ConfigError, loadConfig } from '../config/load.js'
import { serveTurnHealth } from './health.js'
import { createTurnServer } from './server.js'
import { turnConfigProblems, turnServerOptions } from './settings.js'

/**
 * The bundled TURN as its own process (TURN_MODE=standalone in the API):
 * `npx tsx turn/main.ts`. Same configuration as the API; it needs TURN_SECRET.
 */
async function main (): Promise<void> {
  const config = loadConfig({ role: 'turn' })
  const problems = turnConfigProblems(config)
  if (problems.length > 0) throw new ConfigError(problems)
  const turn = createTurnServer({
    ...turnServerOptions(config),
    // Never the packet contents or addresses: only that something went wrong.
    onError: (err) => { process.stderr.write(`turn: packet path error: ${(err as Error).name}\n`) }
  })
  await turn.start()
  const health = await serveTurnHealth(turn, config.turn.metricsHost, config.turn.metricsPort)
  const { ports } = turn.stats()
  process.stdout.write(`${JSON.stringify({ msg: 'turn listening', host: config.turn.host, ports, health: `${config.turn.metricsHost}:${health.port}` })}\n`)
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    Promise.all([turn.stop(), health.close()]).then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `turn failed to start: ${(err as Error).message}`}\n`)
  process.exit(1)
})
