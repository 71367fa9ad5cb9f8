import { createAdmin, unlock } from './admin.js'
import { auditVerify } from './audit.js'
import type { CliCommand } from './command.js'
import { jwtKeysNew } from './jwt-keys.js'

/** Every CLI command by name. */
export const commands: Record<string, CliCommand> = {
  'audit verify': auditVerify,
  'jwt-keys new': jwtKeysNew,
  'create-admin': createAdmin, unlock,
  ...(await import('./keys.js')).keyCommands
}
