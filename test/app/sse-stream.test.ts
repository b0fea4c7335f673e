// Event streams over real sockets, in process: order and ids, live following with EventSource,
// exact resume, heartbeats, disconnects that never kill the run, slow consumers cut off without the
// gateway buffering for them (measured on its own sockets), and the per-run client cap. The goal
// figures G-SSE-1/2/3 (1,000 clients, 100 with slow ones, 100 reconnects and a stale id) are measured
// end to end against a gateway process by test/reliability/sse-*.test.ts.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { EventSource, type FetchLike } from 'eventsource'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ADMIN, SECRET, buildTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/build-app.ts'
import { signHmacSha256 } from '../helpers/sign.ts'

interface Frame { id: number, event: string, data: Record<string, unknown>, raw: string }

const EVENT_NAMES = ['run', 'session', 'text', 'tool_start', 'tool_end', 'log', 'permission', 'result', 'reset']
const FINAL = ['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted']

async function serve (opts: TestGatewayOptions = {}): Promise<{ gw: TestGateway, base: string }> {
  const gw = await buildTestGateway(opts)
  onTestFinished(() => gw.close())
  await gw.app.listen({ port: 0, host: '127.0.0.1' })
  return { gw, base: `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}` }
}

async function waitFor (what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Parses one SSE block the way the gateway writes them; comments come back as `event: ':'`. */
function parseBlock (block: string): Frame {
  if (block.startsWith(':')) return { id: NaN, event: ':', data: {}, raw: block }
  const fields = new Map(block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]))
  return { id: Number(fields.get('id')), event: fields.get('event') ?? 'message', data: JSON.parse(fields.get('data') ?? 'null'), raw: block }
}

interface ReadOptions {
  /** Stop reading (and abort the request, like a client going away) once this returns true. */
  stop?: (f: Frame, all: Frame[]) => boolean
  abort?: AbortController
  /** Keep only the size of text payloads, so the test itself holds little of a huge stream. */
  light?: boolean
}

/** Reads an event stream until it ends or `stop`; comments (`: ping`) are kept as frames too. */
async function readStream (res: Response, opts: ReadOptions = {}): Promise<{ frames: Frame[], ended: boolean }> {
  const frames: Frame[] = []
  const decoder = new TextDecoder()
  let buffer = ''
  const reader = res.body!.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { frames, ended: true }
      buffer += decoder.decode(value, { stream: true })
      let cut: number
      while ((cut = buffer.indexOf('\n\n')) !== -1) {
        let frame = parseBlock(buffer.slice(0, cut))
        buffer = buffer.slice(cut + 2)
        if (opts.light === true && frame.event === 'text') frame = { ...frame, data: { length: (frame.data.text as string).length }, raw: '' }
        frames.push(frame)
        if (opts.stop?.(frame, frames) === true) {
          opts.abort?.abort()
          await reader.cancel().catch(() => {})
          return { frames, ended: false }
        }
      }
    }
  } catch (err) {
    if (opts.abort?.signal.aborted === true) return { frames, ended: false }
    throw err
  }
}

const events = (frames: Frame[]) => frames.filter((f) => f.event !== ':')

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

function expectContiguous (frames: Frame[], from: number): void {
  expect(frames.map((f) => f.id)).toEqual(frames.map((_, i) => from + i))
}

const HELPER = fileURLToPath(new URL('../helpers/build-app.ts', import.meta.url))

/**
 * A gateway in a child process: its port, its memory (from /proc), and for each connection it
 * closes, how much it wrote and the most it ever queued in user space for it.
 */
const CHILD = `
import { buildTestGateway } from ${JSON.stringify(HELPER)}
const gw = await buildTestGateway(JSON.parse(process.argv[1]))
const backlog = new Map()
const sampler = setInterval(() => {
  for (const [s, peak] of backlog) backlog.set(s, Math.max(peak, s.writableLength))
}, 5)
gw.app.server.on('connection', (s) => {
  backlog.set(s, 0)
  s.once('close', () => {
    console.log(JSON.stringify({ closed: s.remotePort, written: s.bytesWritten, backlogPeak: backlog.get(s) }))
    backlog.delete(s)
  })
})
await gw.app.listen({ port: 0, host: '127.0.0.1' })
console.log(JSON.stringify({ port: gw.app.server.address().port }))
process.stdin.resume()
process.stdin.on('end', async () => { clearInterval(sampler); await gw.close(); process.exit(0) })
`

interface ChildGateway {
  port: number
  base: string
  memory (): { rss: number, rssPeak: number }
  closed (remotePort: number): Promise<{ written: number, backlogPeak: number }>
}

async function spawnGateway (opts: TestGatewayOptions): Promise<ChildGateway> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify(opts)], { stdio: ['pipe', 'pipe', 'inherit'] })
  onTestFinished(async () => {
    if (child.exitCode !== null) return
    const exited = once(child, 'exit')
    child.stdin.end()
    await exited
  })
  const closes = new Map<number, { written: number, backlogPeak: number }>()
  const lines = createInterface({ input: child.stdout })
  const ready = new Promise<number>((resolve) => {
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { port?: number, closed?: number, written: number, backlogPeak: number }
      if (msg.port !== undefined) resolve(msg.port)
      if (msg.closed !== undefined) closes.set(msg.closed, msg)
    })
  })
  const port = await ready
  const status = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    memory: () => ({ rss: status('VmRSS'), rssPeak: status('VmHWM') }),
    async closed (remotePort) {
      await waitFor('the gateway to close the connection', () => closes.has(remotePort))
      return closes.get(remotePort)!
    }
  }
}

/** Signs for caller `ci` the way the test gateway does, for a gateway in another process. */
function signedFor (body: unknown): { payload: string, headers: Record<string, string> } {
  const payload = JSON.stringify(body)
  const ts = Math.floor(Date.now() / 1000)
  return { payload, headers: { 'content-type': 'application/json', 'x-webhook-timestamp': String(ts), 'x-webhook-signature': signHmacSha256(SECRET, payload, ts) } }
}

async function startRun (gw: TestGateway, base: string, text = 'follow me'): Promise<{ id: string, token: string }> {
  const { payload, headers } = gw.signed({ text })
  const res = await fetch(`${base}/v1/hooks/ci`, { method: 'POST', body: payload, headers: { ...headers, prefer: 'respond-async' } })
  expect(res.status).toBe(202)
  const run = await res.json() as { id: string, token: string }
  return { id: run.id, token: run.token }
}

async function postStream (gw: TestGateway, base: string, text: string, abort?: AbortController): Promise<Response> {
  const { payload, headers } = gw.signed({ text })
  const res = await fetch(`${base}/v1/hooks/ci`, { method: 'POST', body: payload, headers: { ...headers, accept: 'text/event-stream' }, signal: abort?.signal })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
  return res
}

async function getRun (base: string, id: string, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/v1/runs/${id}`, { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(200)
  return await res.json() as Record<string, unknown>
}

/** Follows a run with a real EventSource until `result`; counts the events that arrived while it still ran. */
function follow (gw: TestGateway, url: string, init: { fetch?: FetchLike } = {}): Promise<{ frames: Frame[], liveEvents: number }> {
  return new Promise((resolve, reject) => {
    const es = new EventSource(url, init)
    const frames: Frame[] = []
    let liveEvents = 0
    for (const name of EVENT_NAMES) {
      es.addEventListener(name, (e: MessageEvent) => {
        const raw = String(e.data)
        frames.push({ id: Number(e.lastEventId), event: name, data: JSON.parse(raw) as Record<string, unknown>, raw })
        const runId = (frames[0]?.data as { id?: string } | undefined)?.id
        if (runId !== undefined && gw.app.gateway.registry.active('ci').some((r) => r.id === runId)) liveEvents++
        if (name === 'result') {
          es.close()
          resolve({ frames, liveEvents })
        }
      })
    }
    es.addEventListener('error', (e) => {
      if (es.readyState === EventSource.CLOSED) reject(new Error(`EventSource failed: ${(e as { code?: number }).code} ${(e as { message?: string }).message}`))
    })
  })
}

describe('POST /v1/hooks/{caller} with Accept: text/event-stream', () => {
  it('streams run, session, text, tools and one final result, ids 1..n, then closes', async () => {
    const { gw, base } = await serve({ env: { FAKE_CLAUDE_MODE: 'tool' } })
    const { frames, ended } = await readStream(await postStream(gw, base, 'show me the log'))
    expect(ended).toBe(true)
    const names = frames.map((f) => f.event)
    expectContiguous(frames, 1)
    expect(names[0]).toBe('run')
    expect(names[1]).toBe('run')
    expect(frames[0]!.data).toMatchObject({ status: 'queued', token: expect.stringMatching(/^hgr_/) })
    expect(frames[1]!.data).toMatchObject({ status: 'running' })
    expect(names[2]).toBe('session')
    expect(names.filter((n) => n === 'result')).toEqual(['result'])
    expect(names.at(-1)).toBe('result')
    expect(frames.at(-1)!.data).toMatchObject({ status: 'succeeded', turns: 2 })
    // Tools in the agent's order, each start before its end, with text before and after.
    const tools = frames.filter((f) => f.event.startsWith('tool_')).map((f) => `${f.event}:${f.data.tool_id as string}`)
    expect(tools).toEqual(['tool_start:toolu_01', 'tool_end:toolu_01', 'tool_start:toolu_02', 'tool_end:toolu_02'])
    expect(names.indexOf('text')).toBeLessThan(names.indexOf('tool_start'))
    expect(names.lastIndexOf('text')).toBeGreaterThan(names.lastIndexOf('tool_end'))
    const said = frames.filter((f) => f.event === 'text').map((f) => f.data.text).join('')
    expect(said).toBe('Let me look at the log.\n\nThe last commits are abc123 and def456.')

    // The token is in the first event only, and it works for the run's own routes.
    const token = frames[0]!.data.token as string
    expect(frames.slice(1).filter((f) => f.raw.includes(token))).toEqual([])
    expect(frames.slice(1).some((f) => 'token' in f.data)).toBe(false)
    expect(await getRun(base, frames[0]!.data.id as string, token)).toMatchObject({ status: 'succeeded' })
  })

  it('a replayed delivery streams the same run without its token', async () => {
    const { gw, base } = await serve()
    const { payload, headers } = gw.signed({ text: 'once only', id: 'delivery-1' })
    const send = () => fetch(`${base}/v1/hooks/ci`, { method: 'POST', body: payload, headers: { ...headers, accept: 'text/event-stream' } })
    const first = await readStream(await send())
    const again = await send()
    expect(again.headers.get('hookgate-replayed')).toBe('true')
    const second = await readStream(again)
    expect(second.frames.map((f) => f.data.id)).toEqual(first.frames.map((f) => f.data.id))
    expect(second.frames.map((f) => f.id)).toEqual(first.frames.map((f) => f.id))
    const token = first.frames[0]!.data.token as string
    expect(second.frames.filter((f) => f.raw.includes(token) || 'token' in f.data)).toEqual([])
  })
})

describe('GET /v1/runs/{id}/events', () => {
  const slow = { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '25' }

  it('follows a running run live with EventSource and ?token=, to its result', async () => {
    const { gw, base } = await serve({ env: slow })
    const { id, token } = await startRun(gw, base)
    const { frames, liveEvents } = await follow(gw, `${base}/v1/runs/${id}/events?token=${encodeURIComponent(token)}`)
    expectContiguous(frames, 1)
    expect(liveEvents).toBeGreaterThan(5)
    expect(frames.at(-1)).toMatchObject({ event: 'result', data: { id, status: 'succeeded' } })
    expect(frames.filter((f) => f.raw.includes(token))).toEqual([])
    expect(frames.filter((f) => f.event === 'text').map((f) => f.data.text).join('')).toBe('Received 9 characters.')
  })

  it('follows with Authorization: Bearer through a custom fetch, for the run token and the admin token', async () => {
    const { gw, base } = await serve({ env: slow })
    const { id, token } = await startRun(gw, base)
    const bearer = (t: string): FetchLike => (url, init) => fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${t}` } })
    const [own, admin] = await Promise.all([
      follow(gw, `${base}/v1/runs/${id}/events`, { fetch: bearer(token) }),
      follow(gw, `${base}/v1/runs/${id}/events`, { fetch: bearer(ADMIN) })
    ])
    for (const { frames } of [own, admin]) {
      expectContiguous(frames, 1)
      expect(frames.at(-1)).toMatchObject({ event: 'result', data: { status: 'succeeded' } })
    }
    expect(admin.frames.map((f) => f.raw)).toEqual(own.frames.map((f) => f.raw))
  })

  it('refuses a wrong, missing or other run\'s token with 401 and no stream', async () => {
    const { gw, base } = await serve({ env: { FAKE_CLAUDE_MODE: 'hang' } })
    const { id } = await startRun(gw, base, 'first')
    const other = await startRun(gw, base, 'second')
    for (const init of [
      { url: `${base}/v1/runs/${id}/events?token=hgr_wrong` },
      { url: `${base}/v1/runs/${id}/events?token=${other.token}` },
      { url: `${base}/v1/runs/${id}/events`, headers: { authorization: `Bearer ${other.token}` } },
      { url: `${base}/v1/runs/${id}/events` }
    ]) {
      const res = await fetch(init.url, { headers: { accept: 'text/event-stream', ...init.headers } })
      expect(res.status).toBe(401)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await res.json()).toMatchObject({ code: 'HOOKGATE_UNAUTHORIZED' })
    }
    // A browser EventSource gives up on a 401 instead of retrying.
    const failed = await new Promise<{ code?: number, state: number }>((resolve) => {
      const es = new EventSource(`${base}/v1/runs/${id}/events?token=hgr_wrong`)
      es.addEventListener('error', (e) => { resolve({ code: (e as { code?: number }).code, state: es.readyState }); es.close() })
    })
    expect(failed).toEqual({ code: 401, state: EventSource.CLOSED })
  })

  it('resumes after Last-Event-ID N with exactly the events after N, for random N during a run', async () => {
    const { gw, base } = await serve({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '40' } })
    const { id, token } = await startRun(gw, base)
    const url = `${base}/v1/runs/${id}/events`
    const auth = { authorization: `Bearer ${token}` }
    const reference = readStream(await fetch(url, { headers: auth }))
    const run = (await gw.app.gateway.registry.get(id))!
    const resumed: Array<Promise<{ n: number, frames: Frame[] }>> = []
    for (let i = 0; i < 6; i++) {
      // The run has about 16 events; every reconnect happens while it is still running.
      await waitFor('more events', () => run.log.lastSeq >= 2 + i * 2)
      const n = Math.floor(Math.random() * (run.log.lastSeq + 1))
      // The header and its ?lastEventId= equivalent (for clients that cannot set it) alike.
      const target = i % 2 === 0 ? fetch(url, { headers: { ...auth, 'last-event-id': String(n) } }) : fetch(`${url}?lastEventId=${n}`, { headers: auth })
      resumed.push(target.then(readStream).then(({ frames }) => ({ n, frames })))
    }
    expect(run.isFinal).toBe(false)
    const all = (await reference).frames
    expectContiguous(all, 1)
    expect(all.at(-1)!.event).toBe('result')
    for (const { n, frames } of await Promise.all(resumed)) {
      expect(frames.map((f) => f.raw), `after ${n}`).toEqual(all.slice(n).map((f) => f.raw))
    }
  })

  it('gives a reader behind the events kept in memory, during or after the run, the stored frames byte for byte', async () => {
    // About 8 MB of text in 16 KB deltas: far more than the run's 1 MiB in memory.
    const { gw, base } = await serve({ env: { FAKE_CLAUDE_MODE: 'flood', FAKE_CLAUDE_FLOOD_BYTES: '8000000' } })
    const readFrames = gw.store.readFrames?.bind(gw.store)
    expect(readFrames, 'the SQLite store makes frames').toBeDefined()
    let frameReads = 0
    gw.store.readFrames = async (...args) => { frameReads++; return await readFrames!(...args) }
    const { id, token } = await startRun(gw, base)
    const url = `${base}/v1/runs/${id}/events`
    const auth = { authorization: `Bearer ${token}` }
    const reference = readStream(await fetch(url, { headers: auth }))
    // Connected now, read only once the run is over and gone from memory: far behind by then.
    const lagging = await fetch(url, { headers: auth })
    const registry = gw.app.gateway.registry
    await registry.waitFinished((await registry.get(id))!, 30_000)
    const all = (await reference).frames
    expectContiguous(all, 1)
    expect(all.at(-1)!.event).toBe('result')
    expect(all.length).toBeGreaterThan(400)
    const raw = (frames: Frame[]): string[] => frames.map((f) => f.raw)

    const behind = await readStream(lagging)
    const afterwards = await readStream(await fetch(url, { headers: auth }))
    const mid = Math.floor(all.length / 2)
    const resumed = await readStream(await fetch(url, { headers: { ...auth, 'last-event-id': String(mid) } }))
    expect(raw(behind.frames)).toEqual(raw(all))
    expect(raw(afterwards.frames)).toEqual(raw(all))
    expect(raw(resumed.frames)).toEqual(raw(all.slice(mid)))
    expect([behind.ended, afterwards.ended, resumed.ended]).toEqual([true, true, true])
    // Each of the three read at least one page of ready-made frames.
    expect(frameReads).toBeGreaterThanOrEqual(3)
  })

  it('answers a cursor beyond the newest event with reset and a full replay instead of waiting forever', async () => {
    const { gw, base } = await serve()
    const { id, token } = await startRun(gw, base)
    await gw.app.gateway.registry.waitFinished((await gw.app.gateway.registry.get(id))!, 10_000)
    const abort = new AbortController()
    const res = await fetch(`${base}/v1/runs/${id}/events?token=${token}`, { headers: { 'last-event-id': '999999' }, signal: abort.signal })
    const timer = setTimeout(() => abort.abort(), 5000)
    const { frames, ended } = await readStream(res, { abort })
    clearTimeout(timer)
    expect(ended).toBe(true)
    expect(frames[0]!.event).toBe('reset')
    expect(frames[0]!.id).toBe(0)
    expectContiguous(frames.slice(1), 1)
    expect(frames.at(-1)!.event).toBe('result')
  })

  it('sends `: ping` while the run is idle', async () => {
    const { gw, base } = await serve({ env: { FAKE_CLAUDE_MODE: 'hang' }, sse: { heartbeatMs: 100 } })
    const { id, token } = await startRun(gw, base)
    const run = (await gw.app.gateway.registry.get(id))!
    // The agent says its piece, then hangs without a word.
    await waitFor('the agent to go quiet', () => run.log.since(0, 100).events.filter((e) => e.event === 'text').length === 3)
    const started = Date.now()
    const abort = new AbortController()
    const res = await fetch(`${base}/v1/runs/${id}/events?token=${token}`, { signal: abort.signal })
    const { frames } = await readStream(res, { stop: (_f, got) => got.filter((f) => f.event === ':').length >= 3, abort })
    expect(Date.now() - started).toBeLessThan(5000)
    const firstPing = frames.findIndex((f) => f.event === ':')
    expect(frames.slice(0, firstPing).map((f) => f.id)).toEqual(range(1, run.log.lastSeq))
    expect(frames.slice(firstPing).map((f) => f.raw)).toEqual([': ping', ': ping', ': ping'])
    expect(run.isFinal).toBe(false)
  })

  it('never kills the run when a client goes away mid-stream', async () => {
    const { gw, base } = await serve({ env: slow })
    // The client that created the run leaves after its first text...
    const creator = new AbortController()
    const created = await readStream(await postStream(gw, base, 'keep going', creator), { stop: (f) => f.event === 'text', abort: creator })
    const { id, token } = created.frames[0]!.data as { id: string, token: string }
    // ...and so does a follower.
    const follower = new AbortController()
    const followed = await readStream(await fetch(`${base}/v1/runs/${id}/events?token=${token}`, { signal: follower.signal }),
      { stop: (_f, got) => got.length >= 4, abort: follower })
    expect(followed.ended).toBe(false)
    const run = (await gw.app.gateway.registry.get(id))!
    expect(run.isFinal).toBe(false)
    await waitFor('the run to finish', async () => FINAL.includes((await getRun(base, id, token)).status as string))
    expect(await getRun(base, id, token)).toMatchObject({ status: 'succeeded', exit_code: 0 })
    // Every text event, as stored (once finished, the run's in-memory log keeps only its result).
    const { events } = await gw.app.gateway.registry.store.readEvents(id, 0, 1000)
    expect(events.filter((e) => e.event === 'text').map((e) => (e.data as { text: string }).text).join(''))
      .toBe('Received 10 characters.')
  })

  it('cuts off a client that stops reading, without buffering for it, while others complete', async () => {
    // The gateway runs in its own process so its memory is measured apart from the test's clients.
    const floodBytes = 24 * 1024 * 1024
    const gateway = await spawnGateway({
      env: { FAKE_CLAUDE_MODE: 'flood', FAKE_CLAUDE_FLOOD_BYTES: String(floodBytes) },
      agentExtra: 'max_output_bytes: 104857600',
      sse: { stallMs: 1000 }
    })
    const rssBefore = gateway.memory().rss

    // The slow client creates the run with a streaming POST and then never reads a byte.
    const slow = connect(gateway.port, '127.0.0.1')
    slow.pause()
    onTestFinished(() => { slow.destroy() })
    await new Promise((resolve) => slow.once('connect', resolve))
    const { payload, headers } = signedFor({ text: 'flood' })
    const head = Object.entries({ ...headers, accept: 'text/event-stream', 'content-length': String(Buffer.byteLength(payload)) })
      .map(([k, v]) => `${k}: ${v}\r\n`).join('')
    slow.write(`POST /v1/hooks/ci HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n${payload}`)
    const admin = { authorization: `Bearer ${ADMIN}` }
    let id = ''
    await waitFor('the run', async () => {
      const { runs } = await (await fetch(`${gateway.base}/v1/runs?limit=1`, { headers: admin })).json() as { runs: Array<{ id: string }> }
      id = runs[0]?.id ?? ''
      return id !== ''
    })

    // A reading client follows the same run with the admin token and gets to the end.
    const normal = await readStream(await fetch(`${gateway.base}/v1/runs/${id}/events`, { headers: admin }), { light: true })
    expect(normal.ended).toBe(true)
    const ids = events(normal.frames).map((f) => f.id)
    expect(ids.every((v, i) => i === 0 || v > ids[i - 1]!)).toBe(true)
    expect(normal.frames.at(-1)).toMatchObject({ event: 'result', data: { status: 'succeeded' } })
    const delivered = normal.frames.filter((f) => f.event === 'text').reduce((n, f) => n + (f.data.length as number), 0)
    expect(delivered).toBeGreaterThan(20 * 1024 * 1024)

    // The gateway hung up on the client that never read, holding little for it meanwhile.
    const cut = await gateway.closed(slow.localPort!)
    const { rssPeak } = gateway.memory()
    // 104–125 MB measured running alone; 153–211 MB while the rest of the suite runs beside it, when
    // the reading client falls further behind and reads more from the store (the 1 MB ring, up to
    // run_log_bytes of events waiting for SQLite, pages read back, and V8 collecting lazily).
    // Buffering for the slow client is caught directly by the backlog and written checks below.
    expect(rssPeak - rssBefore).toBeLessThan(256 * 1024 * 1024)
    expect(cut.backlogPeak).toBeGreaterThan(0)
    expect(cut.backlogPeak).toBeLessThan(512 * 1024)
    expect(cut.written).toBeLessThan(floodBytes / 2)
    // What did reach that client ends without a result.
    let received = ''
    slow.setEncoding('utf8')
    slow.on('data', (chunk: string) => { received += chunk })
    slow.on('error', () => {})
    slow.resume()
    await new Promise((resolve) => slow.once('close', resolve))
    expect(received.length).toBeGreaterThan(256 * 1024)
    expect(received).not.toContain('event: result')
  }, 30_000)

  // A half-close while the writer waits is G-SSE-2's second half, end to end: test/reliability/sse-slow.test.ts.
  it('lets go of a client that closes its connection while the writer waits for it to drain', async () => {
    // A long stall timeout: only noticing the close can free the one client slot in time.
    const { gw, base } = await serve({
      env: { FAKE_CLAUDE_MODE: 'flood', FAKE_CLAUDE_FLOOD_BYTES: String(16 * 1024 * 1024) },
      agentExtra: 'max_output_bytes: 104857600',
      limits: '{ sse_clients_per_run: 1 }',
      sse: { stallMs: 60_000 }
    })
    const serverSockets: Socket[] = []
    gw.app.server.on('connection', (s: Socket) => serverSockets.push(s))
    const { id, token } = await startRun(gw, base, 'flood')
    const slow = connect((gw.app.server.address() as AddressInfo).port, '127.0.0.1')
    slow.pause()
    slow.on('error', () => {})
    onTestFinished(() => { slow.destroy() })
    await new Promise((resolve) => slow.once('connect', resolve))
    slow.write(`GET /v1/runs/${id}/events?token=${token} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`)
    await waitFor('the server socket', () => serverSockets.some((s) => s.remotePort === slow.localPort))
    const serverSide = serverSockets.find((s) => s.remotePort === slow.localPort)!
    // The writer is now blocked on a full socket.
    await waitFor('backpressure', () => serverSide.writableLength > 16 * 1024)
    const url = `${base}/v1/runs/${id}/events?token=${token}`
    expect((await fetch(url)).status).toBe(503)

    const closedAt = Date.now()
    slow.destroy()
    let next: Response | undefined
    await waitFor('the slot to be freed', async () => {
      const res = await fetch(url)
      if (res.status === 200) next = res
      else await res.body?.cancel()
      return res.status === 200
    }, 5000)
    expect(Date.now() - closedAt).toBeLessThan(1000)
    const { frames } = await readStream(next!)
    expect(frames.at(-1)).toMatchObject({ event: 'result', data: { status: 'succeeded' } })
  })

  it('gives every open stream its run\'s result when the gateway shuts down', async () => {
    const { gw, base } = await serve({ env: { FAKE_CLAUDE_MODE: 'hang' } })
    const { id, token } = await startRun(gw, base)
    const creator = await postStream(gw, base, 'another')
    const follower = await fetch(`${base}/v1/runs/${id}/events?token=${token}`)
    const reading = Promise.all([readStream(creator), readStream(follower)])
    await waitFor('both runs to run', () => gw.app.gateway.registry.running === 2)
    await gw.app.close()
    for (const { frames, ended } of await reading) {
      expect(ended).toBe(true)
      expect(frames.at(-1)).toMatchObject({ event: 'result', data: { status: 'interrupted' } })
      expectContiguous(frames, 1)
    }
  })

  it('caps clients per run with 503 HOOKGATE_OVERLOADED and Retry-After, and frees the slot on disconnect', async () => {
    const { gw, base } = await serve({ env: { FAKE_CLAUDE_MODE: 'hang' }, limits: '{ sse_clients_per_run: 2 }' })
    const { id, token } = await startRun(gw, base)
    const url = `${base}/v1/runs/${id}/events?token=${token}`
    const aborts = [new AbortController(), new AbortController()]
    const open = await Promise.all(aborts.map((a) => fetch(url, { signal: a.signal })))
    expect(open.map((r) => r.status)).toEqual([200, 200])

    const third = await fetch(url)
    expect(third.status).toBe(503)
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await third.json()).toMatchObject({ statusCode: 503, code: 'HOOKGATE_OVERLOADED' })

    // One follower leaves; once the gateway notices, a new one is let in.
    aborts[0]!.abort()
    await open[0]!.body?.cancel().catch(() => {})
    let next: Response | undefined
    await waitFor('a free slot', async () => {
      const res = await fetch(url)
      if (res.status === 200) next = res
      else await res.body?.cancel()
      return res.status === 200
    })
    expect(next!.headers.get('content-type')).toMatch(/^text\/event-stream/)
    await next!.body?.cancel()
    aborts[1]!.abort()
  })
})
