import { readFileSync } from 'node:fs'
import { Value } from '@sinclair/typebox/value'
import type { Section, SectionValues, Setting } from './define.js'
import { sections } from './sections.js'
import { productionProblems, type ProcessRole } from './production.js'

type Sections = typeof sections
export type Config = { [K in keyof Sections]: SectionValues<Sections[K]> }

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv
  /** Values that win over the environment; tests use this instead of mutating process.env. */
  overrides?: Record<string, string | undefined>
  /** The process starting, for its production rules; default the API. */
  role?: ProcessRole
}

/**
 * Settings that were renamed: an operator still setting the old name would
 * otherwise be silently ignored (an environment holds many unrelated names).
 */
const RENAMED: Record<string, string> = {
  SCHEDULER_REMINDER_WORKER: 'MESSAGE_WORKER',
  SCHEDULER_REMINDER_POLL_MS: 'MESSAGE_POLL_MS',
  SCHEDULER_REMINDER_MAX_ATTEMPTS: 'MESSAGE_MAX_ATTEMPTS',
  SCHEDULER_REMINDER_BACKOFF_MS: 'MESSAGE_BACKOFF_MS',
  SCHEDULER_REMINDER_LEASE_MS: 'MESSAGE_LEASE_MS',
  SCHEDULER_TRANSPORT_TIMEOUT_MS: 'MESSAGE_TRANSPORT_TIMEOUT_MS'
}

/** Reads, converts and validates every setting; throws one ConfigError naming all bad ones. */
export function loadConfig (opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env
  const problems: string[] = []
  const fromFile = readConfigFile(env.CONFIG_FILE, problems)
  const raw = (name: string): unknown => {
    if (opts.overrides && name in opts.overrides) return opts.overrides[name]
    if (env[name] !== undefined && env[name] !== '') return env[name]
    return fromFile[name]
  }
  const known = new Set<string>()
  const out: Record<string, Record<string, unknown>> = {}
  for (const [sectionName, section] of Object.entries(sections as Record<string, Section>)) {
    const values: Record<string, unknown> = {}
    for (const [key, s] of Object.entries(section)) {
      known.add(s.env)
      const value = readSetting(s, raw(s.env), problems)
      if (value !== undefined) values[key] = value
    }
    out[sectionName] = values
  }
  for (const [old, now] of Object.entries(RENAMED)) {
    if (raw(old) !== undefined) problems.push(`${old} was renamed to ${now}: set ${now} instead`)
  }
  for (const key of Object.keys(fromFile)) {
    if (!known.has(key) && !(key in RENAMED)) problems.push(`${key} (in CONFIG_FILE) is not a Bedside setting`)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  const config = out as Config
  const prod = config.server.env === 'production' ? productionProblems(config, opts.role) : []
  if (prod.length > 0) throw new ConfigError(prod)
  return config
}

function readSetting (s: Setting, input: unknown, problems: string[]): unknown {
  if (input === undefined || input === null) {
    if (s.default !== undefined) return structuredClone(s.default)
    return undefined
  }
  let value = typeof input === 'string' && s.parse ? s.parse(input) : input
  value = Value.Convert(s.schema, value)
  if (!Value.Check(s.schema, value)) {
    const first = Value.Errors(s.schema, value).First()
    const shown = s.secret ? '(hidden)' : JSON.stringify(input)
    problems.push(`${s.env}=${shown} is invalid: ${first?.message ?? 'bad value'}. ${s.doc}`)
    return undefined
  }
  return value
}

function readConfigFile (path: string | undefined, problems: string[]): Record<string, unknown> {
  if (!path) return {}
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`CONFIG_FILE ${path} must hold a JSON object of SETTING: value`)
      return {}
    }
    return parsed as Record<string, unknown>
  } catch (err) {
    problems.push(`CONFIG_FILE ${path} could not be read as JSON: ${(err as Error).message}`)
    return {}
  }
}

/** The settings tables for README.md, one per section, generated from the definitions. */
export function settingsTable (): string {
  const out: string[] = []
  for (const [name, section] of Object.entries(sections as Record<string, Section>)) {
    out.push(`#### ${name}`, '', '| Setting | Default | Meaning |', '| --- | --- | --- |')
    for (const s of Object.values(section)) {
      const def = s.default === undefined ? '(unset)' : '`' + JSON.stringify(s.default) + '`'
      out.push(`| \`${s.env}\` | ${def} | ${s.doc.replace(/\|/g, '\\|')} |`)
    }
    out.push('')
  }
  return out.join('\n').trimEnd()
}
