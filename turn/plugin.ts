import fp from 'fastify-plugin'
import { ConfigError, type Config } from '../config/load.js'
import { issueTurnCredentials, type TurnCredentialRequest, type TurnCredentials } from './credentials.js'
import { createTurnServer, type TurnServer } from './server.js'
import { turnConfigProblems, turnCredentialSettings, turnServerOptions } from './settings.js'

export interface TurnService {
  /** Credentials for a visit participant (see turn/credentials.ts). */
  issue(req: TurnCredentialRequest): TurnCredentials
  /** The embedded server, when TURN_MODE=embedded. */
  server?: TurnServer
}

declare module 'fastify' { interface FastifyInstance { turn: TurnService } }

/**
 * TURN for the API process: always the credential issuer; with
 * TURN_MODE=embedded (the default) also the bundled server, started with the
 * API and stopped on close. In development a TURN configuration with problems
 * (no TURN_SECRET) just leaves the server off; production refuses to start.
 */
export default fp<{ config: Config }>(async (f, { config }) => {
  const settings = turnCredentialSettings(config)
  let server: TurnServer | undefined
  const problems = config.turn.mode === 'embedded' ? turnConfigProblems(config) : []
  if (problems.length > 0 && config.server.env === 'production') throw new ConfigError(problems)
  if (config.turn.mode === 'embedded' && problems.length === 0) {
    server = createTurnServer({ ...turnServerOptions(config), onError: (err) => f.log.warn({ err: (err as Error).name }, 'turn packet path error') })
    await server.start()
    f.addHook('onClose', async () => { await server?.stop() })
  }
  f.decorate('turn', { issue: (req: TurnCredentialRequest) => issueTurnCredentials(req, settings), server })
}, { name: 'turn' })
