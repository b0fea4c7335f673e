// GET /metrics over real sockets: the Prometheus text of one gateway (never another's), protected by
// its bearer token or switched off, and counters, gauges and histograms that move by exactly what
// the requests, runs, event streams and deliveries sent through the same gateway did.
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { EventSource, type FetchLike } from 'eventsource'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config/load.ts'
import { createHttpOutbound } from '../../src/delivery/http-outbound.ts'
import { baseYaml, SECRET, testGateway, type TestGateway, type TestGatewayOptions } from '../helpers/build-app.ts'
import { startFakeApi } from '../helpers/fake-api.ts'
import { CALLBACK_SECRET, TELEGRAM_SECRET, telegramRequest } from '../helpers/platform-sign.ts'
import { signHmacSha256 } from '../helpers/sign.ts'

const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123'
const LIMITED_SECRET = 'limited-secret-0123456789abcdef01'
const BROKEN_SECRET = 'broken-secret-0123456789abcdef012'
const DOWN_SECRET = 'down-secret-0123456789abcdef01234'
const DOWN_CALLBACK_SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`
const BOT_TOKEN = '123456789:AAH-test_bot-token-0123456789abcdef'
const TELEGRAM_UPDATE = resolve(import.meta.dirname, '../fixtures/platforms/telegram/private-text.json')

const CI = 'ci: { scheme: hmac-sha256, secrets: [' + SECRET + '], commands: [run, deploy, git], default_command: run }'

// ---------------------------------------------------------------------------------------------
// A small reader of the Prometheus text exposition format (version 0.0.4).

interface Sample { name: string, labels: Record<string, string>, value: number }

class Scrape {
  readonly text: string
  readonly samples: Sample[] = []
  readonly types = new Map<string, string>()

  constructor (text: string) {
    this.text = text
    for (const line of text.split('\n')) {
      if (line === '') continue
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
      if (type !== null) this.types.set(type[1]!, type[2]!)
      if (line.startsWith('#')) continue
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
      if (m === null) throw new Error(`not a sample line: ${line}`)
      const labels: Record<string, string> = {}
      const body = m[2] ?? ''
      const pairs = [...body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g)]
      if (pairs.map((p) => p[0]).join('') !== body) throw new Error(`malformed labels: ${line}`)
      for (const [, name, value] of pairs) labels[name!] = value!.replace(/\\(.)/g, (_, c: string) => c === 'n' ? '\n' : c)
      const raw = m[3]!
      const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw)
      if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`not a value: ${line}`)
      this.samples.push({ name: m[1]!, labels, value })
    }
    // Every sample belongs to a declared metric (histograms add _bucket, _sum and _count).
    for (const s of this.samples) {
      const base = s.name.replace(/_(bucket|sum|count)$/, '')
      if (!this.types.has(s.name) && this.types.get(base) !== 'histogram') throw new Error(`no TYPE for ${s.name}`)
    }
  }

  has (name: string): boolean {
    return this.samples.some((s) => s.name === name)
  }

  /** Sum of the samples of `name` whose labels include `labels` (0 when there are none). */
  sum (name: string, labels: Record<string, string> = {}): number {
    return this.samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((total, s) => total + s.value, 0)
  }

  /** Every series of `name`, keyed by its label values in label order ("ci|hmac-sha256|verified|"). */
  series (name: string): Record<string, number> {
    return Object.fromEntries(this.samples.filter((s) => s.name === name).map((s) => [Object.values(s.labels).join('|'), s.value]))
  }
}

/** What changed between two scrapes in the series of `name` (unchanged series left out). */
function delta (before: Scrape, after: Scrape, name: string): Record<string, number> {
  const old = before.series(name)
  return Object.fromEntries(Object.entries(after.series(name))
    .map(([key, value]) => [key, value - (old[key] ?? 0)] as const)
    .filter(([, d]) => d !== 0))
}

// ---------------------------------------------------------------------------------------------

interface Served { gw: TestGateway, base: string }

async function serve (opts: TestGatewayOptions = {}): Promise<Served> {
  const gw = await testGateway(opts)
  const base = await gw.app.listen({ host: '127.0.0.1', port: 0 })
  return { gw, base }
}

async function scrape ({ base }: Served, token?: string): Promise<Scrape> {
  const res = await fetch(`${base}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  return new Scrape(await res.text())
}

/** Scrapes until `done` holds (metrics that settle after the answer: deliveries, closed streams). */
async function scrapeUntil (s: Served, what: string, done: (m: Scrape) => boolean, ms = 10_000): Promise<Scrape> {
  const deadline = Date.now() + ms
  for (;;) {
    const m = await scrape(s)
    if (done(m)) return m
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${m.text.split('\n').filter((l) => l.startsWith('hookgate_')).join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function post (s: Served, caller: string, payload: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${s.base}/v1/hooks/${caller}`, { method: 'POST', headers, body: payload })
}

function postSigned (s: Served, body: unknown, extra: Record<string, string> = {}): Promise<Response> {
  const { payload, headers } = s.gw.signed(body, extra)
  return post(s, 'ci', payload, headers)
}

function postAs (s: Served, caller: string, secret: string, body: unknown, extra: Record<string, string> = {}): Promise<Response> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body)
  const ts = Math.floor(Date.now() / 1000)
  return post(s, caller, payload, { 'content-type': 'application/json', 'x-webhook-timestamp': String(ts), 'x-webhook-signature': signHmacSha256(secret, payload, ts), ...extra })
}

const bearer = (token: string): FetchLike => (url, init) => fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } })

describe('GET /metrics', () => {
  it('is Prometheus text of this gateway only: two gateways in one process share no series', async () => {
    const a = await serve()
    const b = await serve()
    expect((await postSigned(a, { text: 'hello' })).status).toBe(200)

    const fromA = await scrape(a)
    const fromB = await scrape(b)
    expect(fromA.types.get('hookgate_requests_total')).toBe('counter')
    expect(fromA.types.get('hookgate_run_duration_seconds')).toBe('histogram')
    expect(fromA.types.get('hookgate_runs_running')).toBe('gauge')
    expect(fromA.sum('hookgate_requests_total', { caller: 'ci', scheme: 'hmac-sha256', outcome: 'accepted' })).toBe(1)
    expect(fromA.sum('hookgate_runs_finished_total', { caller: 'ci', status: 'succeeded' })).toBe(1)
    expect(fromB.sum('hookgate_requests_total')).toBe(0)
    expect(fromB.sum('hookgate_runs_finished_total')).toBe(0)
    expect(fromB.sum('hookgate_run_duration_seconds_count')).toBe(0)
    // Process metrics, per registry as well.
    expect(fromA.sum('process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(fromB.sum('process_cpu_seconds_total')).toBeGreaterThan(0)
    expect(fromA.sum('process_start_time_seconds')).toBeGreaterThan(1_600_000_000)
  })

  it('counts each outcome of the webhook by caller, scheme and reason, as the audit log records it', async () => {
    const s = await serve({
      callers: `{ ${CI}, limited: { scheme: hmac-sha256, secrets: [${LIMITED_SECRET}], commands: [run], default_command: run, rate_limit: { max: 1, window: 60 } } }`,
      limits: '{ body_bytes: 1024 }'
    })
    const before = await scrape(s)

    expect((await postSigned(s, { text: 'hello' })).status).toBe(200)
    expect((await post(s, 'ci', JSON.stringify({ text: 'forged' }), { ...s.gw.signed({ text: 'forged' }).headers, 'x-webhook-signature': `sha256=${'0'.repeat(64)}` })).status).toBe(401)
    expect((await post(s, 'nobody', '{"text":"x"}', s.gw.signed('{"text":"x"}').headers)).status).toBe(401)
    expect((await postSigned(s, { text: 'rm -rf /' })).status).toBe(403)
    expect((await postSigned(s, { text: 'once', id: 'k1' })).status).toBe(200)
    const replay = await postSigned(s, { text: 'once', id: 'k1' })
    expect(replay.headers.get('hookgate-replayed')).toBe('true')
    expect((await postSigned(s, { text: '/help' })).status).toBe(200)
    expect((await postSigned(s, '{"text":')).status).toBe(400)
    expect((await postSigned(s, { text: 'x'.repeat(2000) })).status).toBe(413)
    expect((await postAs(s, 'limited', LIMITED_SECRET, { text: 'first' })).status).toBe(200)
    expect((await postAs(s, 'limited', LIMITED_SECRET, { text: 'second' })).status).toBe(429)

    const after = await scrape(s)
    expect(delta(before, after, 'hookgate_requests_total')).toEqual({
      'ci|hmac-sha256|verified|': 6,
      'ci|hmac-sha256|accepted|': 2,
      'ci|hmac-sha256|rejected|signature_mismatch': 1,
      '||rejected|unknown_caller': 1,
      'ci|hmac-sha256|policy_denied|policy': 1,
      'ci|hmac-sha256|replayed|': 1,
      'ci|hmac-sha256|notice|': 1,
      'ci|hmac-sha256|rejected|invalid_json': 1,
      'ci|hmac-sha256|rejected|FST_ERR_CTP_BODY_TOO_LARGE': 1,
      'limited|hmac-sha256|verified|': 2,
      'limited|hmac-sha256|accepted|': 1,
      'limited|hmac-sha256|rate_limited|caller_rate_limited': 1
    })
    // The reasons are the audit log's, cut at the first ':'.
    const audited = s.gw.audit().filter((r) => r.event === 'rejected').map((r) => String(r.reason).split(':')[0])
    expect(audited.sort()).toEqual(['FST_ERR_CTP_BODY_TOO_LARGE', 'caller_rate_limited', 'invalid_json', 'policy', 'replayed', 'signature_mismatch', 'unknown_caller'])
    expect(delta(before, after, 'hookgate_runs_finished_total')).toEqual({ 'ci|succeeded': 2, 'limited|succeeded': 1 })
    expect(delta(before, after, 'hookgate_run_duration_seconds_count')).toEqual({ succeeded: 3 })
  })

  it('counts requests the per-address flood guard refuses as rate_limited', async () => {
    const s = await serve({ limits: '{ per_address: { max: 1, window: 60 } }' })
    expect((await postSigned(s, { text: 'one' })).status).toBe(200)
    expect((await postSigned(s, { text: 'two' })).status).toBe(429)
    expect((await post(s, 'nobody', '{}', { 'content-type': 'application/json' })).status).toBe(429)
    expect((await scrape(s)).series('hookgate_requests_total')).toEqual({
      'ci|hmac-sha256|verified|': 1,
      'ci|hmac-sha256|accepted|': 1,
      'ci|hmac-sha256|rate_limited|address_rate_limited': 1,
      '||rate_limited|address_rate_limited': 1
    })
  })

  it('follows runs: queue and running gauges and the SSE client while a real EventSource reads, counters and histograms once they end', async () => {
    const s = await serve({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '60' }, limits: '{ concurrency: 1, queue: 3 }' })
    const idle = await scrape(s)
    expect(idle.sum('hookgate_runs_concurrency_limit')).toBe(1)
    expect(idle.sum('hookgate_runs_queue_limit')).toBe(3)
    expect(idle.sum('hookgate_runs_running') + idle.sum('hookgate_runs_queued') + idle.sum('hookgate_sse_clients')).toBe(0)

    const first = await (await postSigned(s, { text: 'first' }, { prefer: 'respond-async' })).json() as { id: string, token: string, links: { events: string } }
    const second = await postSigned(s, { text: 'second' }, { prefer: 'respond-async' })
    expect(second.status).toBe(202)

    const es = new EventSource(`${s.base}${first.links.events}`, { fetch: bearer(first.token) })
    const firstText = new Promise<void>((resolve) => es.addEventListener('text', () => resolve(), { once: true }))
    const result = new Promise<Record<string, unknown>>((resolve, reject) => {
      es.addEventListener('result', (e: MessageEvent) => resolve(JSON.parse(String(e.data)) as Record<string, unknown>))
      es.addEventListener('error', () => { if (es.readyState === EventSource.CLOSED) reject(new Error('the event stream failed')) })
    })
    try {
      await firstText
      const live = await scrape(s)
      expect(live.sum('hookgate_sse_clients')).toBe(1)
      expect(live.sum('hookgate_runs_running')).toBe(1)
      expect(live.sum('hookgate_runs_queued')).toBe(1)
      expect(live.sum('hookgate_run_first_event_seconds_count')).toBe(1)
      expect(live.sum('hookgate_runs_finished_total')).toBe(0)
      expect((await result).status).toBe('succeeded')
    } finally {
      es.close()
    }

    const done = await scrapeUntil(s, 'both runs to end and the stream to close', (m) =>
      m.sum('hookgate_runs_finished_total') === 2 && m.sum('hookgate_sse_clients') === 0)
    expect(done.series('hookgate_runs_finished_total')).toEqual({ 'ci|succeeded': 2 })
    expect(done.sum('hookgate_runs_running') + done.sum('hookgate_runs_queued')).toBe(0)
    expect(done.series('hookgate_run_duration_seconds_count')).toEqual({ succeeded: 2 })
    // 20 pieces 60 ms apart: each run takes over a second, its first event comes well before its end.
    const durations = done.sum('hookgate_run_duration_seconds_sum')
    expect(durations).toBeGreaterThan(2)
    expect(done.sum('hookgate_run_duration_seconds_bucket', { status: 'succeeded', le: '+Inf' })).toBe(2)
    expect(done.sum('hookgate_run_duration_seconds_bucket', { status: 'succeeded', le: '1' })).toBe(0)
    expect(done.sum('hookgate_run_first_event_seconds_count')).toBe(2)
    expect(done.sum('hookgate_run_first_event_seconds_sum')).toBeLessThan(durations)
    expect(done.sum('hookgate_agent_spawn_failures_total')).toBe(0)
  })

  it('counts agents that could not be started, and not agents that started and failed', async () => {
    const s = await serve({
      env: { FAKE_CLAUDE_MODE: 'crash' },
      callers: `{ ${CI}, broken: { scheme: hmac-sha256, secrets: [${BROKEN_SECRET}], commands: [run], default_command: run, agent: { command: /nonexistent/hookgate-test-agent } } }`
    })
    const crashed = await (await postSigned(s, { text: 'crash' })).json() as { status: string, error: string }
    expect(crashed.status).toBe('failed')
    const missing = await (await postAs(s, 'broken', BROKEN_SECRET, { text: 'start' })).json() as { status: string, error: string }
    expect(missing).toMatchObject({ status: 'failed', error: expect.stringContaining('not found') })

    const m = await scrape(s)
    expect(m.series('hookgate_agent_spawn_failures_total')).toEqual({ broken: 1 })
    expect(m.series('hookgate_runs_finished_total')).toEqual({ 'ci|failed': 1, 'broken|failed': 1 })
    expect(m.series('hookgate_run_duration_seconds_count')).toEqual({ failed: 2 })
  })

  it('counts delivery attempts per platform, channel and result: a callback delivered, one retried then failed, a Telegram reply', async () => {
    const api = await startFakeApi()
    api.route('/down', { status: 500, body: { error: 'down' } })
    let messageId = 9001
    api.route(/\/sendMessage$/, (req) => ({ status: 200, body: { ok: true, result: { message_id: messageId++, chat: { id: (req.json as { chat_id: number }).chat_id }, date: 1763719300 } } }))
    const s = await serve({
      callers: `{ ${CI.replace('default_command: run', `default_command: run, callback: { url: "${api.url}/ok", secret: "${CALLBACK_SECRET}" }`)}, ` +
        `down: { scheme: hmac-sha256, secrets: [${DOWN_SECRET}], commands: [run], default_command: run, callback: { url: "${api.url}/down", secret: "${DOWN_CALLBACK_SECRET}" } }, ` +
        `tg: { scheme: telegram, secrets: [${TELEGRAM_SECRET}], users: ["412345678"], commands: [run], default_command: run, reply: { token: "${BOT_TOKEN}", api_base: "${api.url}" } } }`,
      // One request per attempt, and the delivery service gives up after the second.
      deps: { outbound: createHttpOutbound({ attempts: 1 }), deliveryRetry: { firstMs: 20, maxMs: 40, attempts: 2 } }
    })
    expect((await postSigned(s, { text: 'report back' })).status).toBe(200)
    expect((await postAs(s, 'down', DOWN_SECRET, { text: 'report back too' })).status).toBe(200)
    const update = JSON.parse(readFileSync(TELEGRAM_UPDATE, 'utf8'))
    const tg = telegramRequest(update)
    expect((await post(s, 'tg', tg.body, tg.headers)).status).toBe(200)

    await api.waitFor(1, { match: '/ok' })
    await api.waitFor(2, { match: '/down' })
    await api.waitFor(1, { match: /\/sendMessage$/ })
    const done = await scrapeUntil(s, 'every delivery to settle', (m) =>
      m.sum('hookgate_deliveries_total', { platform: 'callback', result: 'failed' }) === 1 &&
      m.sum('hookgate_deliveries_total', { platform: 'telegram', channel: 'reply' }) === 1)
    const settled = Object.fromEntries(Object.entries(done.series('hookgate_deliveries_total')).filter(([key]) => !key.includes('|progress|')))
    expect(settled).toEqual({
      'callback|callback|delivered': 1,
      'callback|callback|retrying': 1,
      'callback|callback|failed': 1,
      'telegram|reply|delivered': 1
    })
    expect(api.requests.filter((r) => r.url === '/down')).toHaveLength(2)
    expect(done.sum('hookgate_requests_total', { caller: 'tg', scheme: 'telegram', outcome: 'accepted' })).toBe(1)
  })

  it('counts what a platform request became: a message accepted, a stranger refused, traffic without a message, a payload it cannot read', async () => {
    const api = await startFakeApi({ status: 200, body: { ok: true, result: true } })
    const s = await serve({
      callers: `{ tg: { scheme: telegram, secrets: [${TELEGRAM_SECRET}], users: ["412345678"], commands: [run], default_command: run, reply: { token: "${BOT_TOKEN}", api_base: "${api.url}" } } }`
    })
    const update = (id: number, edit: (u: any) => void = () => {}): { body: string, headers: Record<string, string> } => {
      const u = JSON.parse(readFileSync(TELEGRAM_UPDATE, 'utf8'))
      u.update_id = id
      edit(u)
      return telegramRequest(u)
    }
    for (const req of [
      update(1),
      update(2, (u) => { u.message.from.id = 99; u.message.chat.id = 99 }),
      update(3, (u) => { delete u.message.text })
    ]) expect((await post(s, 'tg', req.body, req.headers)).status).toBe(200)
    const unreadable = telegramRequest({ update_id: 4 })
    expect((await post(s, 'tg', '{"update_id":', unreadable.headers)).status).toBe(400)

    expect((await scrape(s)).series('hookgate_requests_total')).toEqual({
      'tg|telegram|verified|': 4,
      'tg|telegram|accepted|': 1,
      'tg|telegram|rejected|forbidden_user': 1,
      'tg|telegram|notice|ignored': 1,
      'tg|telegram|rejected|invalid_payload': 1
    })
  })

  it('reports event-loop delay: a stall lands in the histogram, and in the maximum of the next scrape only', async () => {
    const s = await serve()
    const before = await scrape(s)
    const over = (m: Scrape) => m.sum('hookgate_event_loop_delay_seconds_bucket', { le: '+Inf' }) - m.sum('hookgate_event_loop_delay_seconds_bucket', { le: '0.25' })
    // Block the loop (the gateway runs in this process) right after the scrape, then let it sample again.
    const until = performance.now() + 300
    while (performance.now() < until) { /* busy */ }
    await new Promise((resolve) => setTimeout(resolve, 50))
    const stalled = await scrape(s)
    expect(stalled.types.get('hookgate_event_loop_delay_seconds')).toBe('histogram')
    expect(over(stalled) - over(before)).toBeGreaterThanOrEqual(1)
    expect(stalled.sum('hookgate_event_loop_delay_seconds_count')).toBeGreaterThan(before.sum('hookgate_event_loop_delay_seconds_count'))
    expect(stalled.sum('hookgate_event_loop_delay_max_seconds')).toBeGreaterThan(0.25)

    await new Promise((resolve) => setTimeout(resolve, 50))
    const calm = await scrape(s)
    expect(over(calm)).toBe(over(stalled))
    expect(calm.sum('hookgate_event_loop_delay_max_seconds')).toBeLessThan(0.25)
  })
})

describe('GET /metrics access', () => {
  it('with metrics.token: 401 in the API\'s error format without the token or with another, 200 with it', async () => {
    const s = await serve({ extra: `metrics: { token: ${METRICS_TOKEN} }` })
    const unauthorized = { statusCode: 401, code: 'HOOKGATE_UNAUTHORIZED', error: 'Unauthorized', message: 'Unauthorized' }
    const wrong = METRICS_TOKEN.slice(0, -1) + (METRICS_TOKEN.endsWith('3') ? '4' : '3')
    for (const headers of [
      {},
      { authorization: `Bearer ${wrong}` },
      { authorization: `Bearer ${METRICS_TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}` },
      { authorization: `Bearer ${METRICS_TOKEN.slice(0, 16)}` }
    ] as Array<Record<string, string>>) {
      const res = await fetch(`${s.base}/metrics`, { headers })
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual(unauthorized)
    }
    // Tokens never travel in URLs here.
    expect((await fetch(`${s.base}/metrics?token=${METRICS_TOKEN}`)).status).toBe(401)
    const m = await scrape(s, METRICS_TOKEN)
    expect(m.types.get('hookgate_requests_total')).toBe('counter')
    const lower = await fetch(`${s.base}/metrics`, { headers: { authorization: `bearer ${METRICS_TOKEN}` } })
    expect(lower.status).toBe(200)
  })

  it('without a token it is open; with metrics.enabled: false it answers like a path that does not exist', async () => {
    const open = await serve()
    expect((await fetch(`${open.base}/metrics`)).status).toBe(200)

    const off = await serve({ extra: `metrics: { enabled: false, token: ${METRICS_TOKEN} }` })
    for (const headers of [{}, { authorization: `Bearer ${METRICS_TOKEN}` }] as Array<Record<string, string>>) {
      const res = await fetch(`${off.base}/metrics`, { headers })
      expect(res.status).toBe(404)
      expect(await res.json()).toEqual({ statusCode: 404, code: 'HOOKGATE_NOT_FOUND', error: 'Not Found', message: 'No route GET /metrics' })
    }
    const unknown = await fetch(`${off.base}/no-such-path`)
    expect(await unknown.json()).toMatchObject({ statusCode: 404, code: 'HOOKGATE_NOT_FOUND', error: 'Not Found' })
  })

  it('refuses a token too short to guard anything (fail closed at load)', () => {
    const dir = join(tmpdir(), 'hookgate-metrics-config')
    expect(() => parseConfig(baseYaml(dir, { extra: 'metrics: { token: short }' }), {}, { source: null, baseDir: dir })).toThrow(/\/metrics\/token/)
    expect(parseConfig(baseYaml(dir, { extra: `metrics: { token: ${METRICS_TOKEN} }` }), {}, { source: null, baseDir: dir }).config.metrics)
      .toEqual({ enabled: true, token: METRICS_TOKEN })
  })
})
