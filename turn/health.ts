import http from 'node:http'
import type { TurnServer } from './server.js'

/**
 * /health and /metrics of a standalone TURN process, on a loopback address by
 * default: Prometheus and the orchestrator reach it, browsers never do.
 */
export async function serveTurnHealth (turn: TurnServer, host: string, port: number): Promise<{ port: number, close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const send = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' })
      res.end(body)
    }
    if (req.method !== 'GET') return send(405, 'application/json', JSON.stringify({ statusCode: 405, error: 'Method Not Allowed', message: 'GET only' }))
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/health') {
      const s = turn.stats()
      return send(s.running ? 200 : 503, 'application/json', JSON.stringify({ status: s.running ? 'ok' : 'stopped', allocations: s.allocations, ports: s.ports }))
    }
    if (path === '/metrics') {
      turn.metrics.metrics().then((text) => send(200, turn.metrics.contentType, text),
        () => send(500, 'application/json', JSON.stringify({ statusCode: 500, error: 'Internal Server Error', message: 'metrics unavailable' })))
      return
    }
    send(404, 'application/json', JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'try /health or /metrics' }))
  })
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, host, () => resolve()) })
  const actual = (server.address() as { port: number }).port
  return { port: actual, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}
