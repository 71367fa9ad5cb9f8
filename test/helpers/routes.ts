import { randomUUID } from 'node:crypto'
import type { FastifyInstance, HTTPMethods } from 'fastify'
import type { Access } from '../../core/access.js'

export interface ConcreteRoute { method: HTTPMethods; url: string; pattern: string; access: Access }

/** Every route with its params filled in (uuids for ids, 'x' for wildcards); HEAD and OPTIONS left out. */
export function concreteRoutes (app: FastifyInstance, fill: (param: string) => string = () => randomUUID()): ConcreteRoute[] {
  const out: ConcreteRoute[] = []
  for (const r of app.accessTable) {
    const methods = (Array.isArray(r.method) ? r.method : [r.method]) as HTTPMethods[]
    for (const method of methods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue
      const url = r.url.replace(/:([A-Za-z0-9_]+)/g, (_m, p: string) => fill(p)).replace(/\*/g, 'x')
      out.push({ method, url, pattern: r.url, access: r.config!.access! })
    }
  }
  return out
}
