import { Type } from '@sinclair/typebox'
import { optional, parseBool, parseList, setting } from '../define.js'

const port = Type.Integer({ minimum: 0, maximum: 65535 })
const cidr = Type.String({ pattern: '^[0-9a-fA-F:.]+(/[0-9]{1,3})?$' })

export const turn = {
  mode: setting('TURN_MODE', Type.Union([Type.Literal('embedded'), Type.Literal('standalone'), Type.Literal('external'), Type.Literal('off')]),
    'embedded', 'embedded: the bundled TURN runs inside the API process; standalone: it runs as its own process (turn/main.ts) and the API only issues credentials; external: an existing coturn (TURN_URLS, same TURN_SECRET); off: no TURN (calls behind strict firewalls fail).'),
  secret: optional('TURN_SECRET', Type.String({ minLength: 32 }),
    'Shared secret for TURN REST credentials (coturn static-auth-secret). Required unless TURN_MODE=off; the API and every TURN server must hold the same value.', { secret: true }),
  realm: setting('TURN_REALM', Type.String({ minLength: 1, maxLength: 127, pattern: '^[A-Za-z0-9.-]+$' }), 'bedside',
    'TURN realm (coturn realm); part of the long-term credential key.'),
  urls: setting('TURN_URLS', Type.Array(Type.String({ pattern: '^turns?:[^\\s]+$' })), [],
    'TURN URLs handed to browsers (comma list), e.g. turn:turn.example.org:3478?transport=udp,turns:turn.example.org:443?transport=tcp. Empty: derived from TURN_EXTERNAL_IP/TURN_HOST and the ports below.', { parse: parseList }),
  host: setting('TURN_HOST', Type.String({ minLength: 1 }), '127.0.0.1', 'Address the bundled TURN listens on (UDP and TCP).'),
  port: setting('TURN_PORT', port, 3478, 'UDP and TCP port of the bundled TURN (0 picks a free one).'),
  tcp: setting('TURN_TCP', Type.Boolean(), true, 'Also accept TURN over TCP on TURN_PORT (for networks that block UDP).', { parse: parseBool }),
  tlsPort: optional('TURN_TLS_PORT', port, 'Port for TURN over TLS (turns:), e.g. 443 or 5349. Needs TURN_TLS_CERT_FILE and TURN_TLS_KEY_FILE.'),
  tlsCertFile: optional('TURN_TLS_CERT_FILE', Type.String({ minLength: 1 }), 'PEM certificate for turns:.'),
  tlsKeyFile: optional('TURN_TLS_KEY_FILE', Type.String({ minLength: 1 }), 'PEM private key for TURN_TLS_CERT_FILE.', { secret: true }),
  relayIp: optional('TURN_RELAY_IP', Type.String({ minLength: 1 }), 'Local address relay sockets bind to. Unset: the address the client reached (TURN_HOST).'),
  externalIp: optional('TURN_EXTERNAL_IP', Type.String({ minLength: 1 }), 'Public address announced for relayed candidates when the TURN host is behind NAT.'),
  minPort: setting('TURN_MIN_PORT', Type.Integer({ minimum: 1024, maximum: 65535 }), 49152, 'Lowest relay port.'),
  maxPort: setting('TURN_MAX_PORT', Type.Integer({ minimum: 1024, maximum: 65535 }), 65535, 'Highest relay port.'),
  defaultLifetime: setting('TURN_DEFAULT_LIFETIME', Type.Integer({ minimum: 60, maximum: 3600 }), 600,
    'Allocation lifetime in seconds when a client asks for none or less (RFC 8656: 600).'),
  maxLifetime: setting('TURN_MAX_LIFETIME', Type.Integer({ minimum: 600, maximum: 86400 }), 3600,
    'Longest allocation lifetime a client may request per Refresh (RFC 8656 suggests 3600).'),
  userQuota: setting('TURN_USER_QUOTA', Type.Integer({ minimum: 1, maximum: 1000 }), 12,
    'Allocations one participant may hold at once (a browser makes one per local address and TURN URL).'),
  totalQuota: setting('TURN_TOTAL_QUOTA', Type.Integer({ minimum: 1 }), 2000, 'Allocations the bundled TURN holds at once.'),
  allowedPeers: setting('TURN_ALLOWED_PEERS', Type.Array(cidr), [],
    'Peer addresses/CIDRs relayed even though reserved (loopback, private, link-local...), comma list. Empty in production unless media servers sit on a private network.', { parse: parseList }),
  deniedPeers: setting('TURN_DENIED_PEERS', Type.Array(cidr), [],
    'Extra peer addresses/CIDRs never relayed, on top of the reserved ranges (comma list).', { parse: parseList }),
  credentialMaxTtl: setting('TURN_CREDENTIAL_MAX_TTL', Type.Integer({ minimum: 300, maximum: 7 * 86400 }), 86400,
    'Longest lifetime of an issued TURN credential in seconds.'),
  metricsHost: setting('TURN_METRICS_HOST', Type.String({ minLength: 1 }), '127.0.0.1',
    'Address of the health and metrics endpoint of a standalone TURN process.'),
  metricsPort: setting('TURN_METRICS_PORT', port, 9641, 'Port of /health and /metrics of a standalone TURN process (0 picks a free one).')
}
