import { auditVerify } from './audit.js'
import type { CliCommand } from './command.js'

/** Every CLI command by name. */
export const commands: Record<string, CliCommand> = {
  'audit verify': auditVerify
}
