import t from 'tap'
import { loadConfig } from '../../config/load.js'
import { createMediaEngine } from '../../media/engine.js'

// Read before any test runs: loading mediasoup exports MEDIASOUP_WORKER_BIN for the process.
const WORKER_GIVEN = process.env.MEDIASOUP_WORKER_BIN !== undefined

// A mediasoup that cannot load, whatever this machine has installed or exported.
const NO_MEDIASOUP = { MEDIASOUP_MODULE: '/nonexistent/mediasoup', MEDIASOUP_WORKER_BIN: '/nonexistent/mediasoup-worker' }

function recorder () {
  const lines: { level: string; obj: object; msg: string }[] = []
  return {
    lines,
    info (obj: object, msg: string) { lines.push({ level: 'info', obj, msg }) },
    warn (obj: object, msg: string) { lines.push({ level: 'warn', obj, msg }) }
  }
}

t.test('MEDIA_ENGINE=auto falls back to werift when mediasoup cannot start, and says so', async (t) => {
  const config = loadConfig({ env: {}, overrides: { MEDIA_ENGINE: 'auto', ...NO_MEDIASOUP } })
  const log = recorder()
  const engine = await createMediaEngine(config.media, log)
  t.teardown(() => engine.close())
  t.equal(engine.kind, 'werift')
  const line = log.lines.find((l) => l.msg.startsWith('media engine:'))
  t.match(line, { level: 'warn', obj: { engine: 'werift' }, msg: /auto.*mediasoup worker did not start/ }, 'logs which engine and why')
  t.match(String((line?.obj as { reason?: string }).reason), /mediasoup/, 'reason names the failure')
})

t.test('MEDIA_ENGINE=mediasoup without a worker fails loudly instead of falling back', async (t) => {
  const config = loadConfig({ env: {}, overrides: { MEDIA_ENGINE: 'mediasoup', ...NO_MEDIASOUP } })
  await t.rejects(createMediaEngine(config.media, recorder()), { code: 'BDS_ERR_MEDIA_ENGINE_UNAVAILABLE' })
})

t.test('MEDIA_ENGINE=werift and the media settings are validated', async (t) => {
  const config = loadConfig({ env: {}, overrides: { MEDIA_ENGINE: 'werift', MEDIA_ICE_SERVERS: '[{"urls":"turn:127.0.0.1:3478","username":"u","credential":"c"}]' } })
  t.same(config.media.iceServers, [{ urls: 'turn:127.0.0.1:3478', username: 'u', credential: 'c' }])
  const log = recorder()
  const engine = await createMediaEngine(config.media, log)
  t.teardown(() => engine.close())
  t.equal(engine.kind, 'werift')
  t.match(log.lines, [{ level: 'info', msg: /werift/ }])
  t.throws(() => loadConfig({ env: {}, overrides: { MEDIA_ENGINE: 'janus' } }), /MEDIA_ENGINE/)
  t.throws(() => loadConfig({ env: {}, overrides: { MEDIA_ICE_SERVERS: '[{"urls":"stun:stun.l.google.com:19302"}]' } }), /MEDIA_ICE_SERVERS/,
    'public STUN is refused')
  let message = ''
  try { loadConfig({ env: {}, overrides: { MEDIA_ICE_SERVERS: '[{"urls":"turn:x","credential":"s3cret-value"}' } }) } catch (err) { message = (err as Error).message }
  t.match(message, /MEDIA_ICE_SERVERS/, 'malformed TURN list is refused')
  t.notMatch(message, /s3cret-value/, 'and its secret is not echoed')
})

t.test('MEDIA_ENGINE=auto picks mediasoup when its worker starts', async (t) => {
  if (!WORKER_GIVEN) {
    process.stderr.write('\n*** SKIPPED: auto→mediasoup selection NOT RUN: set MEDIASOUP_WORKER_BIN (and MEDIASOUP_MODULE) to a mediasoup build ***\n\n')
    t.pass('skipped', { skip: 'no MEDIASOUP_WORKER_BIN' })
    return
  }
  const config = loadConfig({ overrides: { MEDIA_ENGINE: 'auto', MEDIA_WORKERS: '1' } })
  const log = recorder()
  const engine = await createMediaEngine(config.media, log)
  t.teardown(() => engine.close())
  t.equal(engine.kind, 'mediasoup')
  t.match(log.lines, [{ level: 'info', msg: /mediasoup/ }, { level: 'info', msg: /media engine: mediasoup \(MEDIA_ENGINE=auto\)/ }])
})
