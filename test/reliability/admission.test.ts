// G-ADM-1: admission under a burst. Limits of the 2-vCPU profile: 2 runs at once, 16 queued, and a
// per-caller quota. 1,000 valid requests from 10 callers (8 script callers, a Slack and a Telegram
// caller) in 5 s, every run a 30 s stub. The gateway never has more than 2 running or 16 queued;
// script callers that are refused get 429 (their own quota) or 503 (the gateway is full), each with
// Retry-After; the platform routes acknowledge within 1 s (p99) even while saturated; and no accepted
// run is lost: the first ones finish on their own, the rest are cancelled, and every one ends with a
// final status and an event stream that ends in `result`.
//
// The gateway has no per-caller concurrency limit: its per-caller control is `rate_limit`, a request
// quota counted after verification, which is what answers 429. 3 per minute per caller makes the
// callers' quotas (30) exceed what the gateway admits (2 + 16), so the burst meets both refusals.
import { createHmac, randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { readAudit } from '../helpers/conservation.ts'
import { startFakeApi } from '../helpers/fake-api.ts'
import {
  ADMIN_TOKEN, chaosConfig, cleanupGatewayProcesses, followEvents, listAllRuns, signedHeaders, sleep, startGatewayProcess, waitFor
} from '../helpers/gateway-process.ts'
import { patchConfig } from './config-patch.ts'
import { maxOverlap } from './intervals.ts'
import { percentile } from './load.ts'
import { sampleValue, scrape } from './scrape-metrics.ts'
import { expectBooksBalance, FINAL } from './util.ts'

afterEach(cleanupGatewayProcesses)

const CONCURRENCY = 2
const QUEUE = 16
const QUOTA = 3
const REQUESTS = 1000
const BURST_MS = 5000
const RUN_MS = 30_000
const SCRIPTS = Array.from({ length: 8 }, (_, i) => `script${i + 1}`)
const CALLERS = [...SCRIPTS, 'slack', 'telegram']
const SLACK_SECRET = 'slack-signing-secret-0123456789ab'
const TELEGRAM_SECRET = 'telegram-secret-token_0123456789'
const TELEGRAM_USER = 42
/** Every caller has its own secret (the config refuses a shared one). */
const secretOf = (caller: string): string => `${caller}-secret-0123456789abcdef`

interface Sent {
  caller: string
  /** Its place in the burst. */
  i: number
  status: number
  ms: number
  retryAfter: string | null
  code: string | null
  run: string | null
  text: string
}

function slashCommand (api: string, i: number): { body: string, headers: Record<string, string> } {
  const id = `${i}${randomBytes(4).toString('hex')}`
  const body = new URLSearchParams({
    token: 'legacy-verification-token', team_id: 'T0001', team_domain: 'acme', channel_id: 'C0001', channel_name: 'dev',
    user_id: 'U1', user_name: 'alice', command: '/agent', text: `ms=${RUN_MS} slack ${i}`, api_app_id: 'A0001',
    response_url: `${api}/commands/T0001/${id}/resp`, trigger_id: `1000.2000.${id}`
  }).toString()
  const ts = Math.floor(Date.now() / 1000)
  const signature = 'v0=' + createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${body}`).digest('hex')
  return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature } }
}

function telegramUpdate (i: number): { body: string, headers: Record<string, string> } {
  const body = JSON.stringify({
    update_id: 800_000_000 + i,
    message: {
      message_id: 5000 + i,
      from: { id: TELEGRAM_USER, is_bot: false, first_name: 'Ana' },
      chat: { id: TELEGRAM_USER, first_name: 'Ana', type: 'private' },
      date: Math.floor(Date.now() / 1000),
      text: `ms=${RUN_MS} telegram ${i}`
    }
  })
  return { body, headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET } }
}

function scriptRequest (caller: string, i: number): { body: string, headers: Record<string, string> } {
  const body = JSON.stringify({ text: `ms=${RUN_MS} ${caller} ${i} ${randomBytes(4).toString('hex')}`, user: caller })
  return { body, headers: { ...signedHeaders(body, { secret: secretOf(caller) }), prefer: 'respond-async' } }
}

async function send (url: string, caller: string, i: number, request: { body: string, headers: Record<string, string> }): Promise<Sent> {
  const started = performance.now()
  try {
    const res = await fetch(`${url}/v1/hooks/${caller}`, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(20_000) })
    const text = await res.text()
    let json: Record<string, unknown> | null = null
    try { json = JSON.parse(text) as Record<string, unknown> } catch {}
    const run = typeof json?.id === 'string' ? json.id : /\(run (run_[A-Za-z0-9_-]+)\)/.exec(text)?.[1] ?? null
    return { caller, i, status: res.status, ms: performance.now() - started, retryAfter: res.headers.get('retry-after'), code: typeof json?.code === 'string' ? json.code : null, run, text }
  } catch (err) {
    return { caller, i, status: 0, ms: performance.now() - started, retryAfter: null, code: null, run: null, text: String((err as Error).message) }
  }
}

const count = <T>(list: readonly T[], key: (x: T) => string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const x of list) out[key(x)] = (out[key(x)] ?? 0) + 1
  return out
}

describe('G-ADM-1 admission', () => {
  it(`a burst of ${REQUESTS} requests from ${CALLERS.length} callers in ${BURST_MS / 1000} s: ≤ ${CONCURRENCY} running, ≤ ${QUEUE} queued, 429/503 with Retry-After, platform acks ≤ 1 s, nothing accepted is lost`, async () => {
    const api = await startFakeApi()
    const platformCaller = { commands: ['run'], default_command: 'run', rate_limit: { max: QUOTA, window: 60 } }
    const callers: Record<string, unknown> = {
      slack: { ...platformCaller, scheme: 'slack', secrets: [SLACK_SECRET], users: ['U1'], reply: { token: 'xoxb-test', api_base: api.url } },
      telegram: { ...platformCaller, scheme: 'telegram', secrets: [TELEGRAM_SECRET], users: [String(TELEGRAM_USER)], reply: { token: '123:abc', api_base: api.url } }
    }
    for (const caller of SCRIPTS) callers[caller] = { scheme: 'hmac-sha256', secrets: [secretOf(caller)], commands: ['run'], default_command: 'run', rate_limit: { max: QUOTA, window: 60 } }
    const gw = await startGatewayProcess(patchConfig(chaosConfig({ concurrency: CONCURRENCY, queue: QUEUE, timeout: 90 }), {
      // Every request comes from 127.0.0.1: the per-address guard must not be what refuses them.
      limits: { per_address: { max: 1_000_000, window: 60 } },
      callers
    }))

    // The gauges, polled through the burst (the exact peaks come from the runs' timestamps below).
    let polling = true
    const gauges = { running: 0, queued: 0, scrapes: 0 }
    const poller = (async () => {
      while (polling) {
        try {
          const text = await scrape(gw.url)
          gauges.running = Math.max(gauges.running, sampleValue(text, 'hookgate_runs_running'))
          gauges.queued = Math.max(gauges.queued, sampleValue(text, 'hookgate_runs_queued'))
          gauges.scrapes++
        } catch {}
        await sleep(25)
      }
    })()

    const burstStart = Date.now()
    const pending: Array<Promise<Sent>> = []
    for (let i = 0; i < REQUESTS; i++) {
      const due = burstStart + (i * BURST_MS) / REQUESTS
      if (due > Date.now()) await sleep(due - Date.now())
      const caller = CALLERS[i % CALLERS.length]!
      const request = caller === 'slack' ? slashCommand(api.url, i) : caller === 'telegram' ? telegramUpdate(i) : scriptRequest(caller, i)
      pending.push(send(gw.url, caller, i, request))
    }
    const sent = await Promise.all(pending)
    const burstMs = Date.now() - burstStart
    await sleep(500)
    polling = false
    await poller

    const scripts = sent.filter((s) => SCRIPTS.includes(s.caller))
    const slack = sent.filter((s) => s.caller === 'slack')
    const telegram = sent.filter((s) => s.caller === 'telegram')
    const refusedScripts = scripts.filter((s) => s.status !== 202)
    const badRefusals = refusedScripts.filter((s) => !((s.status === 429 && s.code === 'HOOKGATE_RATE_LIMITED') || (s.status === 503 && s.code === 'HOOKGATE_OVERLOADED')) || !/^[1-9][0-9]*$/.test(s.retryAfter ?? ''))
    const perCaller429 = Object.fromEntries(SCRIPTS.map((c) => [c, scripts.filter((s) => s.caller === c && s.status === 429).length]))
    const p99Slack = percentile(slack.map((s) => s.ms), 99)
    const p99Telegram = percentile(telegram.map((s) => s.ms), 99)
    console.log(`G-ADM-1 burst: ${sent.length} requests in ${(burstMs / 1000).toFixed(1)} s; scripts ${JSON.stringify(count(scripts, (s) => String(s.status)))}, ` +
      `${badRefusals.length} refusals without 429/503 + Retry-After, 429 per caller ${JSON.stringify(perCaller429)}; ` +
      `gauges at most ${gauges.running} running, ${gauges.queued} queued over ${gauges.scrapes} scrapes`)
    console.log(`G-ADM-1 platform acks: slack ${JSON.stringify(count(slack, (s) => String(s.status)))} p50 ${percentile(slack.map((s) => s.ms), 50).toFixed(1)} ms p99 ${p99Slack.toFixed(1)} ms (goal ≤ 1000); ` +
      `telegram ${JSON.stringify(count(telegram, (s) => String(s.status)))} p50 ${percentile(telegram.map((s) => s.ms), 50).toFixed(1)} ms p99 ${p99Telegram.toFixed(1)} ms (goal ≤ 1000)`)

    expect(sent.filter((s) => s.status === 0).map((s) => s.text).slice(0, 3), 'requests without an answer').toEqual([])
    expect(badRefusals.slice(0, 3), 'script refusals: 429 HOOKGATE_RATE_LIMITED or 503 HOOKGATE_OVERLOADED, with Retry-After').toEqual([])
    // Each caller's quota lets exactly QUOTA requests through to admission; every other one is its 429.
    // A caller off by one says too little on its own: what it was answered, in order, and what the
    // gateway's audit log has for it (one `request` record per request it received).
    const offCallers = SCRIPTS.filter((c) => perCaller429[c] !== REQUESTS / CALLERS.length - QUOTA)
    const audit = offCallers.length > 0 ? readAudit(gw.stateDir) : []
    const diagnosis = offCallers.map((c) => `${c}: answers other than 429 ${JSON.stringify(scripts.filter((s) => s.caller === c && s.status !== 429).map((s) => `#${s.i} ${s.status} ${s.code ?? ''}`))}, ` +
      `first 429 at #${scripts.find((s) => s.caller === c && s.status === 429)?.i ?? '-'}; audit ${JSON.stringify(count(audit.filter((r) => r.caller === c), (r) => `${String(r.event)}${r.reason !== undefined ? ` ${String(r.reason)}` : ''}`))}`)
    expect(perCaller429, `429s per script caller${diagnosis.length > 0 ? `; ${diagnosis.join('; ')}` : ''}`).toEqual(Object.fromEntries(SCRIPTS.map((c) => [c, REQUESTS / CALLERS.length - QUOTA])))
    expect(scripts.filter((s) => s.status === 503).length, 'script requests refused because the gateway was full (it must have been)').toBeGreaterThan(0)
    expect(slack.filter((s) => s.status < 200 || s.status > 299).map((s) => `${s.status} ${s.text}`).slice(0, 3), 'slack acks are 2xx').toEqual([])
    // Telegram redelivers an update that got an error, so a full gateway answers it 503 (with
    // Retry-After) rather than taking a message it cannot run; everything else is 200.
    expect(telegram.filter((s) => !(s.status === 200 || (s.status === 503 && /^[1-9][0-9]*$/.test(s.retryAfter ?? '')))).map((s) => `${s.status} ${s.text}`).slice(0, 3), 'telegram acks').toEqual([])
    expect(p99Slack, 'slack ack p99 (ms)').toBeLessThanOrEqual(1000)
    expect(p99Telegram, 'telegram ack p99 (ms)').toBeLessThanOrEqual(1000)
    expect(gauges.running, 'running (gauge)').toBeLessThanOrEqual(CONCURRENCY)
    expect(gauges.queued, 'queued (gauge)').toBeLessThanOrEqual(QUEUE)

    // The first runs finish on their own, and the next two take their slots.
    const accepted = await listAllRuns(gw.url)
    const oldest = [...accepted].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at)).slice(0, CONCURRENCY)
    await waitFor(async () => {
      const runs = await listAllRuns(gw.url)
      return oldest.every((o) => runs.find((r) => r.id === o.id)?.status === 'succeeded') ? true : undefined
    }, RUN_MS + 30_000, 250)
    await waitFor(async () => (await listAllRuns(gw.url, { status: 'running' })).length === CONCURRENCY ? true : undefined, 10_000, 100)
    // The rest are cancelled, the queued ones first (newest first) so that none starts meanwhile.
    const left = (await listAllRuns(gw.url)).filter((r) => !FINAL.includes(r.status))
    const order = [...left.filter((r) => r.status === 'queued'), ...left.filter((r) => r.status !== 'queued')]
    for (const run of order) {
      const res = await fetch(`${gw.url}/v1/runs/${run.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      expect([200, 202], `cancel ${run.id} (${run.status}): ${await res.text()}`).toContain(res.status)
    }
    const final = await waitFor(async () => {
      const runs = await listAllRuns(gw.url)
      return runs.every((r) => FINAL.includes(r.status)) ? runs : undefined
    }, 30_000, 250)

    const ts = (iso: unknown): number => typeof iso === 'string' ? Date.parse(iso) : Number.NaN
    const running = maxOverlap(final.filter((r) => r.started_at != null).map((r) => [ts(r.started_at), ts(r.finished_at)] as const))
    const queued = maxOverlap(final.map((r) => [ts(r.created_at), r.started_at != null ? ts(r.started_at) : ts(r.finished_at)] as const))
    const streams = await Promise.all(final.map(async (r) => {
      const follow = followEvents(`${gw.url}/v1/runs/${r.id}/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      const timer = setTimeout(follow.abort, 10_000)
      const done = await follow.done
      clearTimeout(timer)
      const last = done.frames.at(-1)
      return { id: r.id, status: r.status, ended: done.ended, last: last?.event ?? null, lastStatus: last?.data?.status ?? null, results: done.frames.filter((f) => f.event === 'result').length }
    }))
    const broken = streams.filter((s) => !(s.ended && s.last === 'result' && s.results === 1 && s.lastStatus === s.status))
    const scriptRuns = new Set(scripts.filter((s) => s.status === 202).map((s) => s.run))
    const lost = [...scriptRuns].filter((id) => !final.some((r) => r.id === id))
    console.log(`G-ADM-1 runs: ${final.length} accepted (${JSON.stringify(count(final, (r) => String(r.caller)))}), ended ${JSON.stringify(count(final, (r) => String(r.status)))}; ` +
      `at most ${running.most} running and ${queued.most} queued at once (from the runs' timestamps); ${lost.length} accepted but lost; ` +
      `${streams.length - broken.length}/${streams.length} event streams end in their one result`)

    expect(running.most, 'runs running at once').toBeLessThanOrEqual(CONCURRENCY)
    expect(queued.most, 'runs queued at once').toBeLessThanOrEqual(QUEUE)
    expect({ running: running.most, queued: queued.most }, 'the burst filled the gateway').toEqual({ running: CONCURRENCY, queued: QUEUE })
    expect(lost, 'script runs answered 202 but missing').toEqual([])
    expect(final.every((r) => FINAL.includes(r.status)), 'every run ended').toBe(true)
    expect(final.filter((r) => r.status === 'succeeded').length, 'runs that finished on their own').toBeGreaterThanOrEqual(CONCURRENCY)
    expect(broken, 'event streams that do not end in their result').toEqual([])
    const books = await expectBooksBalance(gw)
    console.log(`G-ADM-1 books: ${books?.audit.accepted ?? '?'} accepted; db ${JSON.stringify(books?.db.counts)}`)
    expect(books?.audit.accepted, 'accepted in the audit log = runs listed').toBe(final.length)
  }, 115_000)
})
