import { BlockList, isIP } from 'node:net'

/**
 * Which peers a TURN client may reach. A TURN server sits inside the
 * hospital's network edge: relaying to loopback, private or link-local
 * addresses would let any credential holder probe internal services (the
 * classic TURN SSRF), so those are refused unless configured.
 */

/** IANA special-purpose ranges (RFC 6890 and successors), as coturn's denied-peer-ip examples. */
export const RESERVED_IPV4 = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15',
  '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4'
]
export const RESERVED_IPV6 = [
  '::/128', '::1/128', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32',
  '2002::/16', 'fc00::/7', 'fe80::/10', 'ff00::/8'
]

export interface PeerPolicyOptions {
  /** Addresses/CIDRs relayed even though reserved (tests: 127.0.0.1). */
  allowed?: string[]
  /** Addresses/CIDRs never relayed, even if allowed. */
  denied?: string[]
}

export type PeerPolicy = (address: string) => boolean

function addCidr (list: BlockList, cidr: string): void {
  const [net, bits] = cidr.split('/')
  const family = isIP(net)
  if (family === 0) throw new TypeError(`not an IP address or CIDR: ${cidr}`)
  const type = family === 4 ? 'ipv4' : 'ipv6'
  if (bits === undefined) list.addAddress(net, type)
  else list.addSubnet(net, Number(bits), type)
}

function listOf (cidrs: string[]): BlockList {
  const list = new BlockList()
  for (const c of cidrs) addCidr(list, c)
  return list
}

/** ::ffff:a.b.c.d is the IPv4 host a.b.c.d; check it as such so mapping cannot dodge the IPv4 rules. */
function unmap (address: string): string {
  const m = /^(?:0{0,4}:){5}ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (m !== null) return m[1]
  const hex = /^(?:0{0,4}:){5}ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address) ?? /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address)
  if (hex !== null) {
    const hi = parseInt(hex[1], 16); const lo = parseInt(hex[2], 16)
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
  }
  return address
}

export function createPeerPolicy (opts: PeerPolicyOptions = {}): PeerPolicy {
  const reserved = listOf([...RESERVED_IPV4, ...RESERVED_IPV6])
  const allowed = listOf(opts.allowed ?? [])
  const denied = listOf(opts.denied ?? [])
  return (raw: string) => {
    const address = unmap(raw)
    const family = isIP(address)
    if (family === 0) return false
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (denied.check(address, type)) return false
    if (allowed.check(address, type)) return true
    return !reserved.check(address, type)
  }
}
