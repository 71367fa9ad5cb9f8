import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import type autocannon from 'autocannon'

type Result = Awaited<ReturnType<typeof autocannon>>

const cli = createRequire(import.meta.url).resolve('autocannon/autocannon.js')

export interface LoadOptions { url: string; connections: number; duration: number; headers?: Record<string, string> }

/**
 * Runs autocannon in its own process: in-process it would share the event
 * loop with the server it measures and flatter the lighter target.
 */
export function loadFromChild (o: LoadOptions): Promise<Result> {
  const args = [cli, '-j', '-c', String(o.connections), '-d', String(o.duration)]
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push('-H', `${k}=${v}`)
  args.push(o.url)
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err)
      resolve(JSON.parse(stdout) as Result)
    })
  })
}
