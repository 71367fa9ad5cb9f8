import {
  RTCPeerConnection, useAbsSendTime, useAudioLevelIndication, useH264, useOPUS, useSdesMid, useVP8
} from 'werift'
import type { IceServer } from '../engine.js'

export interface PeerNetwork {
  listenIp: string
  announcedAddress?: string
  rtcMinPort: number
  rtcMaxPort: number
  iceServers: IceServer[]
}

export const WERIFT_CODECS = { audio: ['audio/opus'], video: ['video/VP8', 'video/H264'] }

/**
 * A server-side peer. werift would otherwise ask a public STUN server and skip
 * loopback interfaces; we bind where we were told and announce what we were told.
 * No RTX and no transport-cc: the SFU forwards, it does not retransmit or
 * estimate bandwidth (werift's transport-cc collapsed Chromium's bitrate).
 */
export function createPeer (net: PeerNetwork): RTCPeerConnection {
  const specific = net.listenIp !== '0.0.0.0'
  const hosts = [
    ...(net.announcedAddress ? [net.announcedAddress] : []),
    ...(specific && net.listenIp.startsWith('127.') ? [net.listenIp] : [])
  ]
  return new RTCPeerConnection({
    iceServers: net.iceServers.map((s) => ({ ...s })),
    iceUseIpv6: false,
    iceInterfaceAddresses: specific ? { udp4: net.listenIp } : undefined,
    iceAdditionalHostAddresses: hosts.length > 0 ? hosts : undefined,
    icePortRange: [net.rtcMinPort, net.rtcMaxPort],
    bundlePolicy: 'max-bundle',
    codecs: { audio: [useOPUS()], video: [useVP8(), useH264()] },
    headerExtensions: {
      audio: [useSdesMid(), useAudioLevelIndication()],
      video: [useSdesMid(), useAbsSendTime()]
    }
  })
}

/**
 * Server-offered renegotiation is one at a time per peer: an offer stays open
 * until the browser's answer arrives. If none comes within `timeoutMs`,
 * onExpire runs (the engine closes the transport: werift's rollback leaves
 * the m-line order scrambled, which browsers then refuse).
 */
export interface OfferGate {
  /** Resolves when no offer is open; the caller then owns the gate until answered(). */
  acquire (): Promise<void>
  answered (): void
  readonly open: boolean
  close (): void
}

export function createOfferGate (onExpire: () => void, timeoutMs = 15_000): OfferGate {
  let tail: Promise<void> = Promise.resolve()
  let release: (() => void) | undefined
  let timer: NodeJS.Timeout | undefined
  const done = (): void => {
    if (timer) clearTimeout(timer)
    timer = undefined
    const r = release
    release = undefined
    r?.()
  }
  return {
    get open () { return release !== undefined },
    async acquire () {
      const prev = tail
      let mine!: () => void
      tail = new Promise<void>((resolve) => { mine = resolve })
      await prev
      release = mine
      timer = setTimeout(() => { done(); onExpire() }, timeoutMs)
      timer.unref()
    },
    answered: done,
    close: done
  }
}
