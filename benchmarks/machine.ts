import { cpus, totalmem } from 'node:os'

/** One line naming the machine a result was measured on. */
export function machine (): string {
  const c = cpus()
  return `${c.length} × ${c[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`
}

export const today = (): string => new Date().toISOString().slice(0, 10)
