import { Type } from '@sinclair/typebox'
import { optional, setting } from '../define.js'

export const auth = {
  jwtKeysFile: optional('JWT_KEYS_FILE', Type.String({ minLength: 1 }),
    'JSON file of signing keys ({"keys":[JWK…]}, Ed25519 private JWKs with kid; the first signs, all verify). Unset in development: generated under DATA_DIR.'),
  jwtIssuer: setting('JWT_ISSUER', Type.String({ minLength: 1 }), 'bedside', 'iss claim of access tokens.'),
  jwtAudience: setting('JWT_AUDIENCE', Type.String({ minLength: 1 }), 'bedside-api', 'aud claim of access tokens.'),
  accessTokenTtl: setting('ACCESS_TOKEN_TTL', Type.Integer({ minimum: 30, maximum: 600 }), 600, 'Access token lifetime in seconds (at most 10 minutes).'),
  sessionIdleTimeout: setting('SESSION_IDLE_TIMEOUT', Type.Integer({ minimum: 60, maximum: 86400 }), 900,
    'A session unused this many seconds ends (refresh refused).'),
  sessionCheckCacheMs: setting('SESSION_CHECK_CACHE_MS', Type.Integer({ minimum: 0, maximum: 60_000 }), 10_000,
    'Milliseconds an API process may reuse a live session check. Revocation, role, account and consent changes still take effect at once (PostgreSQL announces them to every process); 0 asks the database on every request.'),
  sessionMaxLifetime: setting('SESSION_MAX_LIFETIME', Type.Integer({ minimum: 300, maximum: 30 * 86400 }), 12 * 3600,
    'Absolute session lifetime in seconds, however active.'),
  lockoutThreshold: setting('LOCKOUT_THRESHOLD', Type.Integer({ minimum: 3, maximum: 100 }), 10,
    'Failed sign-ins in a row that lock an account.'),
  lockoutDuration: setting('LOCKOUT_DURATION', Type.Integer({ minimum: 60 }), 1800, 'Seconds an account stays locked (an admin can unlock sooner).'),
  invitationTtl: setting('INVITATION_TTL', Type.Integer({ minimum: 300 }), 72 * 3600, 'Lifetime of an invitation token in seconds.'),
  verificationTtl: setting('EMAIL_VERIFICATION_TTL', Type.Integer({ minimum: 300 }), 24 * 3600, 'Lifetime of an email verification token in seconds.'),
  passwordHashMemory: setting('PASSWORD_HASH_MEMORY', Type.Integer({ minimum: 1024, maximum: 4 * 1024 * 1024 }), 19456,
    'argon2id memory in KiB (OWASP: 19456 = 19 MiB with 2 iterations). Stored hashes with other parameters are rehashed at the next sign-in.'),
  passwordHashIterations: setting('PASSWORD_HASH_ITERATIONS', Type.Integer({ minimum: 1, maximum: 20 }), 2, 'argon2id iterations (time cost).'),
  passwordHashParallelism: setting('PASSWORD_HASH_PARALLELISM', Type.Integer({ minimum: 1, maximum: 16 }), 1, 'argon2id lanes (parallelism).'),
  loginFreeAttempts: setting('LOGIN_FREE_ATTEMPTS', Type.Integer({ minimum: 1, maximum: 100 }), 3,
    'Failed sign-ins for one account before each further attempt must wait (1 s, doubling up to LOGIN_MAX_DELAY).'),
  loginIpFreeAttempts: setting('LOGIN_IP_FREE_ATTEMPTS', Type.Integer({ minimum: 1, maximum: 10000 }), 20,
    'Failed sign-ins from one client IP (any account) before each further attempt must wait.'),
  loginMaxDelay: setting('LOGIN_MAX_DELAY', Type.Integer({ minimum: 1, maximum: 86400 }), 300, 'Longest wait in seconds between failed sign-in attempts.'),
  loginThrottleWindow: setting('LOGIN_THROTTLE_WINDOW', Type.Integer({ minimum: 60, maximum: 7 * 86400 }), 3600,
    'Seconds without a failure after which an account or IP starts again with its free attempts.'),
  mfaIssuer: setting('MFA_ISSUER', Type.String({ minLength: 1, maxLength: 64, pattern: '^[^:]+$' }), 'Bedside', 'Issuer name shown in authenticator apps.')
}
