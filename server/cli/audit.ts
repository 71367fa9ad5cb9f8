import { verifyAuditChain } from '../../core/audit/audit-log.js'
import { withServices } from './with-services.js'
import type { CliCommand } from './command.js'

export const auditVerify: CliCommand = {
  summary: 'check the audit log hash chain; names the first broken entry',
  async run (config, _args, io) {
    return withServices(config, async ({ db }) => {
      const r = await verifyAuditChain(db)
      if (r.ok) {
        io.out(`audit log OK: ${r.checked} entries, chain intact`)
        return 0
      }
      io.err(`audit log BROKEN at entry seq=${r.firstBroken!.seq}: ${r.firstBroken!.reason} (${r.checked} entries before it verified)`)
      return 2
    })
  }
}
