import type { Static, TSchema } from '@sinclair/typebox'

/**
 * One setting: where it comes from (an environment variable or the same key
 * in CONFIG_FILE), what it may hold, and what it is for. The README's table of
 * settings is generated from these, so the docs never drift from the code.
 */
export interface Setting<S extends TSchema = TSchema, R extends boolean = boolean> {
  env: string
  schema: S
  doc: string
  /** A value used when nothing is set. Absent for settings that may stay unset. */
  default?: Static<S>
  required: R
  /** Secrets are never printed in errors or the start banner. */
  secret?: boolean
  /** Turns the raw environment string into the value the schema checks. */
  parse?: (raw: string) => unknown
}

export function setting<S extends TSchema> (
  env: string, schema: S, defaultValue: Static<S>, doc: string,
  extra: Pick<Setting<S>, 'secret' | 'parse'> = {}
): Setting<S, true> {
  return { env, schema, default: defaultValue, doc, required: true, ...extra }
}

export function optional<S extends TSchema> (
  env: string, schema: S, doc: string,
  extra: Pick<Setting<S>, 'secret' | 'parse'> = {}
): Setting<S, false> {
  return { env, schema, doc, required: false, ...extra }
}

export type Section = Record<string, Setting>

export type SectionValues<T extends Section> = {
  [K in keyof T]: T[K] extends Setting<infer S, infer R>
    ? (R extends true ? Static<S> : Static<S> | undefined)
    : never
}

export const parseList = (raw: string): string[] =>
  raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0)

export const parseBool = (raw: string): unknown => {
  const v = raw.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(v)) return true
  if (['0', 'false', 'no', 'off'].includes(v)) return false
  return raw
}
