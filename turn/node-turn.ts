import type { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'

/**
 * Typed view of the parts of node-turn 0.0.6 Bedside drives. node-turn has no
 * types; these describe its lib/ classes as published (the engine: STUN
 * parsing and encoding, long-term authentication, allocation state and the
 * peer-to-client relay). turn/engine.ts supplies what node-turn gets wrong.
 */

export interface NtAddress { family: number, address: string, port: number, toString(): string }

/** What node-turn calls to write to a client: a dgram socket, or our TCP/TLS framing adapter. */
export interface NtSendSocket {
  send(buf: Buffer, port: number, address: string, cb?: (err: Error | null) => void): void
  /** Ours, not node-turn's: true once a TCP/TLS client connection has gone. */
  gone?(): boolean
}

export interface NtTransport {
  protocol: number
  src: NtAddress
  dst: NtAddress
  socket: NtSendSocket
  get5Tuple(): string
  revert(): NtTransport
}

export interface NtUser { username: string, password: string }

export interface NtMessage {
  class: number
  method: number
  transactionID: string
  transport: NtTransport
  allocation: NtAllocation | null
  user: NtUser | null
  read(buf: Buffer): boolean
  reply(): NtMessage
  getAttribute(name: string): any
  getAttributes(name: string): any[]
  addAttribute(name: string, value?: unknown): void
  resolve(): void
  reject(code: number, reason: string): void
  discard(): void
  toBuffer(): Buffer
}

/** The relay socket(s) node-turn's Allocation listens on and sends from. */
export interface NtRelaySocket {
  on(event: 'message', listener: (data: Buffer, rinfo: { address: string, port: number }) => void): unknown
  address(): { address: string, port: number }
  send(buf: Buffer, port: number, address: string, cb?: (err: Error | null) => void): void
}

export interface NtAllocation {
  transactionID: string
  fiveTuple: string
  transport: NtTransport
  user: NtUser
  sockets: NtRelaySocket[]
  relayedTransportAddress: NtAddress
  mappedAddress: NtAddress
  lifetime: number
  timeToExpiry: number
  timer: NodeJS.Timeout
  /** peer IP -> expiry in ms */
  permissions: Record<string, number>
  /** channel number -> peer transport address */
  channelBindings: Record<string, NtAddress | undefined>
  permit(address: string): void
  getPeerChannelNumber(peer: NtAddress): number | undefined
}

export interface NtAuthentification {
  credentials: Record<string, string | undefined>
  auth(msg: NtMessage, cb: (err: Error | null, reply?: NtMessage) => void): void
  generateNonce(): string
  checkNonce(nonce: string): boolean
}

export interface NtServer extends EventEmitter {
  software: string
  realm: string
  authMech: string
  externalIps: string | Record<string, string> | null
  allocations: Record<string, NtAllocation | undefined>
  authentification: NtAuthentification
  debug(level: string, msg: unknown): void
}

export interface NodeTurn {
  Server: new (config: Record<string, unknown>) => NtServer
  Message: new (server: NtServer, transport: NtTransport) => NtMessage
  Transport: new (protocol: number, src: NtAddress, dst: NtAddress, socket: NtSendSocket) => NtTransport
  Address: new (address: string, port: number) => NtAddress
  Allocation: new (msg: NtMessage, sockets: NtRelaySocket[], lifetime: number) => NtAllocation
  ChannelMessage: new (channelNumber: number, data: Buffer) => { write(): Buffer }
  CONSTANTS: {
    CLASS: { REQUEST: number, INDICATION: number, SUCCESS: number, ERROR: number }
    METHOD: Record<'BINDING' | 'ALLOCATE' | 'REFRESH' | 'SEND' | 'DATA' | 'CREATE_PERMISSION' | 'CHANNEL_BIND', number>
    TRANSPORT: { FAMILY: { IPV4: number, IPV6: number }, PROTOCOL: { UDP: number } }
  }
}

export function loadNodeTurn (): NodeTurn {
  const require = createRequire(import.meta.url)
  return {
    Server: require('node-turn'),
    Message: require('node-turn/lib/message.js'),
    Transport: require('node-turn/lib/transport.js'),
    Address: require('node-turn/lib/address.js'),
    Allocation: require('node-turn/lib/allocation.js'),
    ChannelMessage: require('node-turn/lib/channelMessage.js'),
    CONSTANTS: require('node-turn/lib/constants.js')
  }
}
