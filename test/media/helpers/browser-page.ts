/**
 * Runs inside each Chromium page (serialized with Function.prototype.toString,
 * so no imports). One page = one participant's browser. werift: plain
 * RTCPeerConnections, non-trickle. mediasoup: mediasoup-client's Device, whose
 * 'connect'/'produce' events call back into Node through exposed functions.
 */
export function pageMain (): void {
  type Any = any // eslint-disable-line @typescript-eslint/no-explicit-any
  const w = window as Any
  const consumers: Record<string, { pc?: RTCPeerConnection; mid?: string; consumer?: Any }> = {}
  let sendPc: RTCPeerConnection | undefined
  let recvPc: RTCPeerConnection | undefined
  let device: Any
  let sendT: Any
  let recvT: Any

  const gathered = (pc: RTCPeerConnection): Promise<void> => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') { resolve(); return }
    pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve() })
    setTimeout(resolve, 3000)
  })
  const media = async (kind: string): Promise<MediaStreamTrack> => {
    const s = await navigator.mediaDevices.getUserMedia(kind === 'audio' ? { audio: true } : { video: true })
    return s.getTracks()[0]!
  }
  const show = (track: MediaStreamTrack): void => {
    const el = document.createElement(track.kind === 'audio' ? 'audio' : 'video') as HTMLMediaElement
    el.autoplay = true; el.muted = true; el.srcObject = new MediaStream([track]); document.body.appendChild(el)
    void el.play().catch(() => undefined)
  }
  const inbound = async (pc: RTCPeerConnection | Any, pick: (s: Any) => boolean): Promise<number> => {
    let n = 0
    ;(await pc.getStats()).forEach((s: Any) => { if (s.type === 'inbound-rtp' && pick(s)) n += s.packetsReceived ?? 0 })
    return n
  }

  w.bds = {
    async werPublish (kind: string, codec?: string): Promise<{ offer: string; mid: string }> {
      sendPc ??= new RTCPeerConnection({ iceServers: [] })
      const tr = sendPc.addTransceiver(await media(kind), { direction: 'sendonly' })
      if (codec === 'H264') {
        const h264 = RTCRtpSender.getCapabilities('video')!.codecs.filter((c) =>
          c.mimeType === 'video/H264' && /packetization-mode=1/.test(c.sdpFmtpLine ?? '') && /profile-level-id=42e01f/.test(c.sdpFmtpLine ?? ''))
        if (h264.length === 0) throw new Error('this Chromium cannot send H264')
        tr.setCodecPreferences(h264)
      }
      await sendPc.setLocalDescription(await sendPc.createOffer())
      await gathered(sendPc)
      return { offer: sendPc.localDescription!.sdp, mid: tr.mid! }
    },
    async werAnswer (sdp: string): Promise<void> { await sendPc!.setRemoteDescription({ type: 'answer', sdp }) },
    async werConsume (consumerId: string, offer: string, mid: string): Promise<string> {
      if (!recvPc) {
        recvPc = new RTCPeerConnection({ iceServers: [] })
        recvPc.ontrack = (e) => show(e.track)
      }
      await recvPc.setRemoteDescription({ type: 'offer', sdp: offer })
      await recvPc.setLocalDescription(await recvPc.createAnswer())
      await gathered(recvPc)
      consumers[consumerId] = { pc: recvPc, mid }
      return recvPc.localDescription!.sdp
    },
    async msLoad (routerRtpCapabilities: Any): Promise<Any> {
      device = new w.mediasoupClient.Device({ handlerName: 'Chrome111' })
      await device.load({ routerRtpCapabilities })
      return device.rtpCapabilities
    },
    msTransport (direction: string, params: Any): void {
      const t = direction === 'send' ? device.createSendTransport(params) : device.createRecvTransport(params)
      t.on('connect', ({ dtlsParameters }: Any, ok: Any, fail: Any) => w.bdsConnect(t.id, dtlsParameters).then(ok, fail))
      t.on('produce', ({ kind, rtpParameters, appData }: Any, ok: Any, fail: Any) =>
        w.bdsProduce(t.id, kind, appData.source, rtpParameters).then((id: string) => ok({ id }), fail))
      if (direction === 'send') sendT = t; else recvT = t
    },
    async msPublish (kind: string, source: string, codecName?: string): Promise<string> {
      const track = await media(kind)
      const codec = codecName ? device.rtpCapabilities.codecs.find((c: Any) => c.mimeType.toLowerCase() === `video/${codecName.toLowerCase()}`) : undefined
      // Simulcast: three layers the router picks from per subscriber bandwidth.
      const encodings = kind === 'video'
        ? [{ rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 100_000 }, { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 300_000 }, { rid: 'r2', maxBitrate: 900_000 }]
        : undefined
      const producer = await sendT.produce({ track, encodings, codec, appData: { source } })
      return producer.id
    },
    async msConsume (c: Any): Promise<void> {
      const consumer = await recvT.consume({ id: c.consumerId, producerId: c.producerId, kind: c.kind, rtpParameters: c.rtpParameters })
      show(consumer.track)
      consumers[c.consumerId] = { consumer }
    },
    async received (consumerId: string): Promise<number> {
      const c = consumers[consumerId]
      if (!c) return 0
      // mediasoup-client adds a probator receiver: take stats from the consumer itself, or by mid.
      if (c.consumer) return inbound(c.consumer, () => true)
      return inbound(c.pc!, (s) => s.mid === c.mid)
    },
    async framesDecoded (consumerId: string): Promise<number> {
      const c = consumers[consumerId]
      let n = 0
      const report = c?.consumer ? await c.consumer.getStats() : await c?.pc?.getStats()
      report?.forEach((s: Any) => { if (s.type === 'inbound-rtp' && (c?.consumer || s.mid === c?.mid)) n += s.framesDecoded ?? 0 })
      return n
    },
    async frameWidth (consumerId: string): Promise<number> {
      const c = consumers[consumerId]
      let w = 0
      const report = c?.consumer ? await c.consumer.getStats() : await c?.pc?.getStats()
      report?.forEach((s: Any) => { if (s.type === 'inbound-rtp' && s.kind === 'video' && (c?.consumer || s.mid === c?.mid)) w = s.frameWidth ?? 0 })
      return w
    },
    close (): void { sendPc?.close(); recvPc?.close(); sendT?.close(); recvT?.close() }
  }
}
