import type { LoggerOptions } from 'pino'

/**
 * Paths that may hold PHI or secrets anywhere they are logged. Redaction is the
 * safety net: code should not log such values in the first place.
 */
export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
  '*.password', '*.newPassword', '*.currentPassword', '*.token', '*.ticket', '*.refreshToken', '*.accessToken',
  '*.email', '*.phone', '*.name', '*.legalName', '*.preferredName', '*.birthDate', '*.dateOfBirth', '*.address',
  '*.reason', '*.notes', '*.text', '*.code', '*.secret', '*.credential',
  'err.detail', 'err.where', 'err.parameters', 'body', '*.body'
]

/** pino options shared by every Bedside process. */
export function loggerOptions (level: string, extra: LoggerOptions = {}): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Only the path is logged: query strings can carry tokens (calendar feeds, links).
      req: (req: { method: string; url: string; id: string; ip?: string }) => ({
        method: req.method, url: req.url.split('?')[0], id: req.id, ip: req.ip
      })
    },
    ...extra
  }
}
