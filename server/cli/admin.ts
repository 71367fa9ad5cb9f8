import { inviteStaff } from '../auth/invitations.js'
import { unlockUser } from '../auth/lockout.js'
import { createOutboxNotifier } from '../notify/outbox-notifier.js'
import type { CliCommand } from './command.js'
import { withServices } from './with-services.js'

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]+$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** `--name value` from the arguments, or undefined. */
function flag (args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}

/**
 * The first admin (or a recovery admin) by invitation: prints a one-time link
 * to open in a browser, where they choose a password and then enrol MFA. The
 * password never passes through the shell, its history or this process.
 */
export const createAdmin: CliCommand = {
  summary: 'create-admin --email <address>: invite an admin; prints a one-time invitation link',
  async run (config, args, io) {
    const email = flag(args, 'email')
    if (!email || !EMAIL.test(email)) {
      io.err('usage: create-admin --email <address>')
      return 64
    }
    return withServices(config, async ({ db, phi }) => {
      const base = config.server.publicUrl.replace(/\/$/, '')
      const r = await db.transaction((tx) => inviteStaff(tx, phi, {
        notifier: createOutboxNotifier(db, phi),
        link: (page, token) => `${base}/${page}#token=${token}`
      }, { email, role: 'admin', ttlSeconds: config.auth.invitationTtl, actor: { id: null, role: null, via: 'cli' } }))
      if (!r) {
        io.err('an account with this email already exists and is in use; to unlock it use: unlock --user <id>')
        return 1
      }
      io.out(`admin invited (user id ${r.userId}); the link works once, until ${r.expiresAt.toISOString()}:`)
      io.out(r.link)
      return 0
    })
  }
}

export const unlock: CliCommand = {
  summary: 'unlock --user <id>: lift a sign-in lockout (audited)',
  async run (config, args, io) {
    const user = flag(args, 'user')
    if (!user || !UUID.test(user)) {
      io.err('usage: unlock --user <user id (uuid)>')
      return 64
    }
    return withServices(config, async ({ db }) => {
      const ok = await db.transaction((tx) => unlockUser(tx, user, { actorId: null, actorRole: null, via: 'cli' }))
      if (!ok) {
        io.err(`no user ${user}`)
        return 1
      }
      io.out(`user ${user} unlocked`)
      return 0
    })
  }
}
