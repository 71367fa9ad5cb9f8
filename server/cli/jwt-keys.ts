import { readFileSync } from 'node:fs'
import type { JWK } from 'jose'
import { newSigningJwk, signingKeysFromJwks } from '../auth/signing-keys.js'
import type { CliCommand } from './command.js'

/**
 * Rotation: `jwt-keys new --add-to current.json` puts a new key first (it
 * signs from the next start) and keeps the old ones so tokens they signed stay
 * valid for their last minutes; drop the old key after ACCESS_TOKEN_TTL.
 */
export const jwtKeysNew: CliCommand = {
  summary: 'print a new Ed25519 signing key file (--add-to FILE keeps FILE\'s keys after it)',
  async run (_config, args, io) {
    const at = args.indexOf('--add-to')
    const existing: JWK[] = at >= 0 ? (JSON.parse(readFileSync(args[at + 1], 'utf8')) as { keys: JWK[] }).keys : []
    const jwk = await newSigningJwk(`k-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`)
    const file = { keys: [jwk, ...existing] }
    await signingKeysFromJwks(file)
    io.out(JSON.stringify(file, null, 2))
    return 0
  }
}
