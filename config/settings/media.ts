import { Type } from '@sinclair/typebox'
import { optional, setting } from '../define.js'

const parseJson = (raw: string): unknown => { try { return JSON.parse(raw) } catch { return raw } }

const IceServer = Type.Object({
  urls: Type.Union([Type.String({ pattern: '^turns?:' }), Type.Array(Type.String({ pattern: '^turns?:' }), { minItems: 1 })]),
  username: Type.Optional(Type.String()),
  credential: Type.Optional(Type.String())
}, { additionalProperties: false })

// Keys match MediaEngineConfig so `createMediaEngine(config.media, log)` needs no glue.
export const media = {
  engine: setting('MEDIA_ENGINE', Type.Union([Type.Literal('auto'), Type.Literal('mediasoup'), Type.Literal('werift')]), 'auto',
    'SFU engine. auto: mediasoup when its worker starts, else the pure-TypeScript werift engine (logged at start).'),
  listenIp: setting('MEDIA_LISTEN_IP', Type.String({ minLength: 2 }), '127.0.0.1',
    'Local IPv4 address RTP sockets bind to (0.0.0.0: all interfaces).'),
  announcedAddress: optional('MEDIA_ANNOUNCED_ADDRESS', Type.String({ minLength: 2 }),
    'Address browsers reach the media server at, when it differs from MEDIA_LISTEN_IP (NAT, containers).'),
  rtcMinPort: setting('MEDIA_RTC_MIN_PORT', Type.Integer({ minimum: 1024, maximum: 65535 }), 40000, 'Lowest UDP port for media.'),
  rtcMaxPort: setting('MEDIA_RTC_MAX_PORT', Type.Integer({ minimum: 1024, maximum: 65535 }), 49999, 'Highest UDP port for media.'),
  iceServers: setting('MEDIA_ICE_SERVERS', Type.Array(IceServer), [],
    'werift only: TURN servers for the server-side peer, as a JSON array of {urls,username,credential}. Never a public STUN server.',
    { parse: parseJson, secret: true }),
  workers: setting('MEDIA_WORKERS', Type.Integer({ minimum: 0, maximum: 256 }), 0, 'mediasoup workers; 0: one per CPU core.'),
  workerBin: optional('MEDIASOUP_WORKER_BIN', Type.String({ minLength: 1 }),
    'Path of a mediasoup-worker binary; unset: the one npm installed with mediasoup.'),
  mediasoupModule: optional('MEDIASOUP_MODULE', Type.String({ minLength: 1 }),
    'Path of a mediasoup package installed apart from Bedside (its directory); unset: the optional dependency.'),
  maxIncomingBitrate: setting('MEDIA_MAX_INCOMING_BITRATE', Type.Integer({ minimum: 100_000 }), 1_500_000,
    'Per send transport cap in bit/s (mediasoup).'),
  initialOutgoingBitrate: setting('MEDIA_INITIAL_OUTGOING_BITRATE', Type.Integer({ minimum: 100_000 }), 600_000,
    'Starting bandwidth estimate per receive transport in bit/s (mediasoup); layers rise as the estimate grows.'),
  nodes: setting('MEDIA_NODES', Type.Union([Type.Literal('local'), Type.Literal('remote')]), 'local',
    'local: the SFU runs inside the API process. remote: it runs in media node processes (media/main.ts) that register in Redis; the API places each visit on one and needs REDIS_URL and MEDIA_NODE_SECRET.'),
  nodeSecret: optional('MEDIA_NODE_SECRET', Type.String({ minLength: 32 }),
    'Shared secret every API process presents to media nodes (at least 32 characters); the same on the API and every node.', { secret: true }),
  nodePort: setting('MEDIA_NODE_PORT', Type.Integer({ minimum: 0, maximum: 65535 }), 9650,
    'TCP port a media node serves the API on (WebSocket, and GET /health), bound to MEDIA_LISTEN_IP; 0 picks a free one.'),
  nodeAddress: optional('MEDIA_NODE_ADDRESS', Type.String({ pattern: '^wss?://[^\\s]+$', maxLength: 256 }),
    'How API processes reach this media node, e.g. ws://media-1.internal:9650; unset: ws://MEDIA_LISTEN_IP (or the hostname when 0.0.0.0):MEDIA_NODE_PORT.'),
  nodeRegistryPrefix: setting('MEDIA_NODE_REGISTRY_PREFIX', Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' }), 'bds:media:',
    'Redis key prefix of the media-node registry; deployments sharing one Redis need different ones (tests use one per test).'),
  nodeId: optional('MEDIA_NODE_ID', Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
    'Name of this media node in the registry; unset: hostname and pid.'),
  nodeHeartbeatMs: setting('MEDIA_NODE_HEARTBEAT_MS', Type.Integer({ minimum: 100 }), 2000, 'How often a media node renews its registry entry.'),
  nodeTtlMs: setting('MEDIA_NODE_TTL_MS', Type.Integer({ minimum: 300 }), 6000,
    'A media node missing heartbeats this long is dead; its visits move to live nodes.'),
  nodeCapacity: setting('MEDIA_NODE_CAPACITY', Type.Integer({ minimum: 1 }), 50, 'Visits one media node takes before it counts as full.')
}
