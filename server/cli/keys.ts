import { join, resolve } from 'node:path'
import type { Config } from '../../config/load.js'
import { newKeyringJson, nextKeyId, readKeyringFile, writeKeyringFile } from '../../core/crypto/keyring.js'
import { randomBytes } from 'node:crypto'
import { reindexAll } from '../../core/crypto/reindex.js'
import { keyReferences, rotateAll } from '../../core/crypto/rotation.js'
import { createPhiVault } from '../../core/crypto/vault.js'
import { blindIndexSources } from '../phi/blind-indexes.js'
import type { CliCommand, CliIo } from './command.js'
import { withServices } from './with-services.js'

/** The same file the API reads (services.ts): PHI_KEYRING_FILE, or the development keyring under DATA_DIR. */
export const keyringPath = (config: Config) => config.phi.keyringFile ?? join(resolve(config.server.dataDir), 'phi-keyring.json')

const usage = (io: CliIo, text: string) => { io.err(text); return 64 }

/** --batch N of the batched commands, or null when it is not 1..10000. */
function batchArg (args: string[]): number | null {
  const i = args.indexOf('--batch')
  const n = i >= 0 ? Number(args[i + 1]) : 200
  return Number.isInteger(n) && n >= 1 && n <= 10_000 ? n : null
}

/** Runs a batched job that Ctrl-C (or SIGTERM) stops after its current batch. */
async function interruptible<T> (io: CliIo, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController()
  const onSignal = () => { io.err('stopping after this batch...'); stop.abort() }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await fn(stop.signal)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

const init: CliCommand = {
  summary: 'print a new PHI keyring (one key-encryption key and a blind-index key) for PHI_KEYRING_FILE',
  async run (_config, _args, io) {
    io.out(JSON.stringify(newKeyringJson(), null, 2))
    return 0
  }
}

const status: CliCommand = {
  summary: 'PHI keys: versions, which is active, how many stored values each still protects',
  async run (config, _args, io) {
    const file = readKeyringFile(keyringPath(config))
    return withServices(config, async ({ db }) => {
      const refs = await keyReferences(db)
      for (const id of Object.keys(file.keys)) {
        const mine = refs.filter((r) => r.keyId === id)
        const n = mine.reduce((s, r) => s + r.count, 0)
        io.out(`${id}${id === file.active ? ' (active)' : ''}: ${n} value(s)${mine.length ? ' in ' + mine.map((r) => `${r.where}=${r.count}`).join(', ') : ''}`)
      }
      const retired = file.retiredIndexKeys?.length ?? 0
      io.out(retired === 0
        ? 'blind index: one key'
        : `blind index: ${retired} retired key(s) still accepted in look-ups; run \`bedside keys index-rotate\``)
      const unknown = refs.filter((r) => !(r.keyId in file.keys))
      for (const u of unknown) io.err(`WARNING: ${u.count} value(s) in ${u.where} use key '${u.keyId}', which is not in the keyring`)
      return unknown.length ? 2 : 0
    })
  }
}

const add: CliCommand = {
  summary: 'add a new PHI key version and make it active for writes at once (then run keys rotate)',
  async run (config, _args, io) {
    const path = keyringPath(config)
    const file = readKeyringFile(path)
    const id = nextKeyId(Object.keys(file.keys))
    writeKeyringFile(path, { ...file, active: id, keys: { ...file.keys, [id]: randomBytes(32).toString('base64') } })
    io.out(`${id} is now the active PHI key in ${path}; running servers write with it within a second.`)
    io.out('Run `bedside keys rotate` to move existing values onto it; older keys stay until nothing uses them.')
    return 0
  }
}

const rotate: CliCommand = {
  summary: 're-wrap/re-encrypt stored PHI onto the active key in batches (--batch N); safe while serving; Ctrl-C and rerun to resume',
  async run (config, args, io) {
    const batchSize = batchArg(args)
    if (batchSize === null) return usage(io, 'usage: keys rotate [--batch 1..10000]')
    return interruptible(io, (signal) => withServices(config, async ({ db, phi }) => {
      io.out(`rotating onto ${phi.activeKeyId} in batches of ${batchSize}`)
      const r = await rotateAll(db, phi, {
        batchSize,
        signal,
        onProgress: (p) => io.out(`  ${p.target}: ${p.done}/${p.total}${p.failed ? ` (${p.failed} failed)` : ''}`),
        onFailure: (target, row) => io.err(`  could not open ${target} row ${row}: left as is (tampered, or its key is missing)`)
      })
      if (r.interrupted) {
        io.out(`interrupted after moving ${r.moved} value(s); run \`bedside keys rotate\` again to resume (${r.remaining} left)`)
        return 130
      }
      io.out(`done: ${r.moved} value(s) moved to ${phi.activeKeyId}; ${r.remaining} still on older keys${r.failed ? `; ${r.failed} could not be opened` : ''}`)
      return r.remaining === 0 ? 0 : 2
    }))
  }
}

const remove: CliCommand = {
  summary: 'remove a retired PHI key version (refused while anything still uses it)',
  async run (config, args, io) {
    const id = args[0]
    if (!id) return usage(io, 'usage: keys remove <key id>')
    const path = keyringPath(config)
    const file = readKeyringFile(path)
    if (!(id in file.keys)) return usage(io, `key '${id}' is not in the keyring`)
    if (id === file.active) { io.err(`key '${id}' is the active key: add a new one (keys new) and rotate first`); return 2 }
    return withServices(config, async ({ db }) => {
      const refs = (await keyReferences(db)).filter((r) => r.keyId === id)
      if (refs.length > 0) {
        io.err(`key '${id}' cannot be removed: it still protects ${refs.reduce((s, r) => s + r.count, 0)} value(s) (${refs.map((r) => `${r.where}=${r.count}`).join(', ')}). Run \`bedside keys rotate\` first.`)
        return 2
      }
      const fresh = readKeyringFile(path)
      const keys = { ...fresh.keys }
      delete keys[id]
      writeKeyringFile(path, { ...fresh, keys })
      io.out(`key '${id}' removed: nothing referred to it`)
      return 0
    })
  }
}

const indexNew: CliCommand = {
  summary: 'make a new blind-index key active; the old one stays accepted in look-ups (then run keys index-rotate)',
  async run (config, _args, io) {
    const path = keyringPath(config)
    const file = readKeyringFile(path)
    writeKeyringFile(path, { ...file, indexKey: randomBytes(32).toString('base64'), retiredIndexKeys: [file.indexKey, ...(file.retiredIndexKeys ?? [])] })
    io.out(`a new blind-index key is active in ${path}; running servers use it within a second and still match the old one.`)
    io.out('Give every API host this keyring, then run `bedside keys index-rotate` to recompute the stored indexes.')
    return 0
  }
}

const indexRotate: CliCommand = {
  summary: 'recompute every blind index (email, phone, NPI) under the active index key (--batch N), then drop retired index keys; safe while serving',
  async run (config, args, io) {
    const batchSize = batchArg(args)
    if (batchSize === null) return usage(io, 'usage: keys index-rotate [--batch 1..10000]')
    const path = keyringPath(config)
    return interruptible(io, (signal) => withServices(config, async ({ db, phi }) => {
      const activeIndexKey = readKeyringFile(path).indexKey
      const r = await reindexAll(db, phi, blindIndexSources(createPhiVault(db, phi)), {
        batchSize,
        signal,
        onProgress: (p) => io.out(`  ${p.target}: ${p.checked} checked, ${p.updated} recomputed`),
        onFailure: (target, row, why) => io.err(`  ${target} row ${row}: ${why === 'conflict' ? 'another row already holds this value (a duplicate made during the rotation): resolve it, then rerun' : 'source would not open: left as is'}`)
      })
      if (r.interrupted) { io.out(`interrupted after ${r.updated} index value(s); run \`bedside keys index-rotate\` again to finish`); return 130 }
      io.out(`done: ${r.checked} checked, ${r.updated} recomputed${r.failed ? `, ${r.failed} unreadable` : ''}${r.conflicts ? `, ${r.conflicts} conflicting` : ''}`)
      const fresh = readKeyringFile(path)
      if (r.conflicts > 0 || fresh.indexKey !== activeIndexKey) {
        io.err('retired index keys kept: ' + (r.conflicts > 0 ? 'resolve the conflicts and rerun' : 'the index key changed during the run; rerun'))
        return 2
      }
      if ((fresh.retiredIndexKeys?.length ?? 0) > 0) {
        writeKeyringFile(path, { ...fresh, retiredIndexKeys: [] })
        io.out(`retired index keys removed from ${path}; give every API host this keyring.`)
      }
      return 0
    }))
  }
}

export const keyCommands: Record<string, CliCommand> = {
  'keys init': init,
  'keys status': status,
  'keys new': add,
  'keys rotate': rotate,
  'keys remove': remove,
  'keys index-new': indexNew,
  'keys index-rotate': indexRotate
}
