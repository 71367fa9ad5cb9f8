import { Type } from '@sinclair/typebox'
import { optional, parseBool, parseList, setting } from '../define.js'

export const server = {
  env: setting('NODE_ENV', Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')]),
    'development', 'production turns on the strict start-up checks (TLS or trusted proxy, real secrets, real database).'),
  host: setting('HOST', Type.String({ minLength: 1 }), '127.0.0.1', 'Address the API listens on.'),
  port: setting('PORT', Type.Integer({ minimum: 0, maximum: 65535 }), 8080, 'TCP port of the API (0 picks a free one).'),
  publicUrl: setting('PUBLIC_URL', Type.String({ pattern: '^https?://[^\\s/]+(/.*)?$' }), 'http://localhost:8080',
    'Origin users reach Bedside at; used for links in messages and for the WebSocket origin check.'),
  dataDir: setting('DATA_DIR', Type.String({ minLength: 1 }), './data', 'Folder for the embedded database and development keys.'),
  logLevel: setting('LOG_LEVEL', Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
    'info', 'pino log level.'),
  tlsCertFile: optional('TLS_CERT_FILE', Type.String({ minLength: 1 }), 'PEM certificate; with TLS_KEY_FILE the API serves HTTPS itself.'),
  tlsKeyFile: optional('TLS_KEY_FILE', Type.String({ minLength: 1 }), 'PEM private key for TLS_CERT_FILE.', { secret: true }),
  trustProxy: setting('TRUST_PROXY', Type.Union([Type.Boolean(), Type.Array(Type.String({ minLength: 1 }))]), false,
    'Addresses/CIDRs of the TLS-terminating reverse proxy whose X-Forwarded-* headers are trusted (comma list), or true/false.',
    { parse: (raw) => { const b = parseBool(raw); return typeof b === 'boolean' ? b : parseList(raw) } }),
  corsOrigins: setting('CORS_ORIGINS', Type.Array(Type.String({ pattern: '^https?://' })), [],
    'Origins allowed to call the API from other sites (comma list). Empty: CORS closed.', { parse: parseList }),
  bodyLimit: setting('BODY_LIMIT', Type.Integer({ minimum: 1024, maximum: 10 * 1024 * 1024 }), 64 * 1024,
    'Largest request body in bytes.'),
  rateLimitMax: setting('RATE_LIMIT_MAX', Type.Integer({ minimum: 1 }), 300, 'Requests per client IP per RATE_LIMIT_WINDOW.'),
  rateLimitWindow: setting('RATE_LIMIT_WINDOW', Type.Integer({ minimum: 1 }), 60, 'Rate-limit window in seconds.')
}
