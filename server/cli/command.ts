import type { Config } from '../../config/load.js'

export interface CliIo { out (line: string): void; err (line: string): void }

/** One CLI command; returns the process exit code. */
export interface CliCommand {
  summary: string
  run (config: Config, args: string[], io: CliIo): Promise<number>
}
