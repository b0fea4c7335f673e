// LINE end to end: a webhook signed as LINE signs it (checked by @line/bot-sdk) goes over TCP to a
// real gateway, which acknowledges at once (LINE ignores the answer and counts 2 s as a failure);
// the fake `claude` (or a line-printing command) runs and the result, notices and refusals reach
// the user through the Reply API of a local fake LINE, or the Push API when the token is refused.
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import { platformGateway, type PlatformAnswer, type PlatformGateway } from '../../helpers/platform-gateway.ts'
import { lineRequest, LINE_SECRET } from '../../helpers/platform-sign.ts'
import { startFakeApi, type FakeApi, type RecordedRequest } from '../../helpers/fake-api.ts'
import type { TestGatewayOptions } from '../../helpers/build-app.ts'
import { createHttpOutbound } from '../../../src/delivery/http-outbound.ts'
import { acceptedRuns, auditOf, runEvents, runFor, sleep } from '../../helpers/audit-queries.ts'

const BOT = 'Uf2a9c8d7e6b5a4f3e2d1c0b9a8f7e6d5c'
const USER = 'U4af4980629d4a0b7c9e1f2a3b4c5d6e7'
const OTHER_USER = 'U9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e'
const STRANGER = 'U0000000000000000000000000000dead'
const GROUP = 'Ca56f94637c3f0b1e2d4a6c8e0f2b4d6a'
const CHANNEL_TOKEN = 'line-channel-access-token-abc123'
const REPLY = '/v2/bot/message/reply'
const PUSH = '/v2/bot/message/push'
const LOADING = '/v2/bot/chat/loading/start'
/** What LINE's Reply and Push APIs answer. */
const SENT = { status: 200, body: { sentMessages: [{ id: '468789577898262530', quoteToken: 'q3Plxr4AgKd' }] } }
const GENERIC_401 = { statusCode: 401, code: 'HOOKGATE_UNAUTHORIZED', error: 'Unauthorized', message: 'Unauthorized' }

function callerYaml (api: FakeApi): string {
  return `{ chat: { scheme: line, secrets: [${LINE_SECRET}], users: ["${USER}", "${OTHER_USER}"], commands: [run, deploy], default_command: run, ` +
    `reply: { token: "${CHANNEL_TOKEN}", api_base: "${api.url}" } } }`
}

async function lineGateway (api: FakeApi, opts: Omit<TestGatewayOptions, 'callers'> = {}): Promise<PlatformGateway> {
  return platformGateway({ ...opts, callers: callerYaml(api) })
}

interface LineEvent { event: Record<string, unknown>, eventId: string, replyToken: string }

/** A text message event as LINE sends it, from a 1:1 chat unless `group` is set. */
function textEvent (text: string, opts: { user?: string, eventId?: string, group?: boolean, redelivery?: boolean } = {}): LineEvent {
  const eventId = opts.eventId ?? '01' + randomBytes(12).toString('hex').toUpperCase()
  const replyToken = randomBytes(16).toString('hex')
  const user = opts.user ?? USER
  return {
    eventId,
    replyToken,
    event: {
      type: 'message',
      message: { type: 'text', id: String(Date.now()), quoteToken: 'q' + randomBytes(8).toString('hex'), text },
      webhookEventId: eventId,
      deliveryContext: { isRedelivery: opts.redelivery ?? false },
      timestamp: Date.now(),
      source: opts.group === true ? { type: 'group', groupId: GROUP, userId: user } : { type: 'user', userId: user },
      replyToken,
      mode: 'active'
    }
  }
}

function post (gw: PlatformGateway, payload: unknown): Promise<PlatformAnswer> {
  const { body, headers } = lineRequest(payload)
  return gw.post('/v1/hooks/chat', body, headers)
}

function send (gw: PlatformGateway, ...events: LineEvent[]): Promise<PlatformAnswer> {
  return post(gw, { destination: BOT, events: events.map((e) => e.event) })
}

function expectAck (answer: PlatformAnswer): void {
  expect(answer.status).toBe(200)
  expect(answer.headers['content-type']).toMatch(/^application\/json/)
  expect(answer.text).toBe('{}')
  expect(answer.ms).toBeLessThan(1000)
}

function texts (req: RecordedRequest): string[] {
  return (req.json as { messages: Array<{ type: string, text: string }> }).messages.map((m) => {
    expect(m.type).toBe('text')
    return m.text
  })
}

/** Checks one Reply API call and returns its texts. */
function replyTexts (req: RecordedRequest, replyToken: string): string[] {
  expect(req.method).toBe('POST')
  expect(req.url).toBe(REPLY)
  expect(req.headers.authorization).toBe(`Bearer ${CHANNEL_TOKEN}`)
  expect(req.headers['content-type']).toMatch(/^application\/json/)
  expect(Object.keys(req.json as object).sort()).toEqual(['messages', 'replyToken'])
  expect((req.json as { replyToken: string }).replyToken).toBe(replyToken)
  return texts(req)
}

const replies = (api: FakeApi): RecordedRequest[] => api.requests.filter((r) => r.url === REPLY)
const repliesTo = (api: FakeApi, e: LineEvent): RecordedRequest[] => replies(api).filter((r) => (r.json as { replyToken?: string }).replyToken === e.replyToken)

async function replyTo (api: FakeApi, e: LineEvent, timeoutMs = 8000): Promise<RecordedRequest> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const hit = repliesTo(api, e)[0]
    if (hit !== undefined) return hit
    if (Date.now() > deadline) throw new Error(`no Reply API call for ${e.replyToken}; got ${api.requests.map((r) => r.url).join(', ')}`)
    await sleep(20)
  }
}

function echoedPrompt (text: string): string {
  return (JSON.parse(text) as { prompt: string }).prompt
}

describe('line end to end: results', () => {
  it('acknowledges with 200 {} at once and answers with the Reply API and the event\'s reply token', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api)
    const e = textEvent('Why is the build red? 🙂 <ci> & "main"')

    const answer = await send(gw, e)
    expectAck(answer)
    const call = await replyTo(api, e)
    const [text, ...more] = replyTexts(call, e.replyToken)
    expect(more).toEqual([])
    expect(echoedPrompt(text!)).toBe('Why is the build red? 🙂 <ci> & "main"')

    const [run] = acceptedRuns(gw)
    const delivered = await auditOf(gw, { event: 'delivery', run, status: 'delivered' })
    expect(delivered).toMatchObject({ caller: 'chat', user: USER, channel: 'reply', attempts: 1 })
    expect(gw.audit()[0]).toMatchObject({ event: 'request', caller: 'chat' })
    expect(gw.audit().find((r) => r.event === 'accepted')).toMatchObject({ caller: 'chat', user: USER, command: 'run' })
    expect(runEvents(gw, run!)).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])
    await sleep(300)
    // One call in all: no push, no loading animation for a run this short.
    expect(api.requests).toHaveLength(1)
  })

  it('in a group the bot mention is stripped and the reply goes to the same reply token', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api)
    const e = textEvent('@hookgate what changed?', { group: true })
    ;(e.event.message as Record<string, unknown>).mention = { mentionees: [{ index: 0, length: 9, type: 'user', userId: BOT, isSelf: true }] }

    expectAck(await send(gw, e))
    expect(echoedPrompt(replyTexts(await replyTo(api, e), e.replyToken)[0]!)).toBe('what changed?')
  })

  it('a slow run shows the loading animation in a 1:1 chat, then replies', async () => {
    const api = await startFakeApi(SENT)
    // slow: about 2.5 s.
    const gw = await lineGateway(api, { env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '130' } })
    const e = textEvent('take your time')
    expectAck(await send(gw, e))

    const [loading] = await api.waitFor(1, { match: LOADING, timeoutMs: 4000 })
    expect(loading!.headers.authorization).toBe(`Bearer ${CHANNEL_TOKEN}`)
    expect(loading!.json).toEqual({ chatId: USER, loadingSeconds: 60 })
    expect(echoedPrompt(replyTexts(await replyTo(api, e), e.replyToken)[0]!)).toBe('take your time')
    expect(api.requests.findIndex((r) => r.url === LOADING)).toBeLessThan(api.requests.findIndex((r) => r.url === REPLY))
  })

  it('a reply token LINE refuses (400): the result is pushed to the chat instead, with a retry key', async () => {
    const api = await startFakeApi(SENT)
    api.route(REPLY, { status: 400, body: { message: 'Invalid reply token' } })
    const gw = await lineGateway(api)
    const e = textEvent('push it')
    expectAck(await send(gw, e))

    const [push] = await api.waitFor(1, { match: PUSH })
    expect(push!.headers.authorization).toBe(`Bearer ${CHANNEL_TOKEN}`)
    expect(push!.headers['x-line-retry-key']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect((push!.json as { to: string }).to).toBe(USER)
    expect(echoedPrompt(texts(push!)[0]!)).toBe('push it')
    const [run] = acceptedRuns(gw)
    expect(await auditOf(gw, { event: 'delivery', run })).toMatchObject({ status: 'delivered', attempts: 1 })
    expect(replies(api)).toHaveLength(1)
    expect(api.requests.filter((r) => r.url === PUSH)).toHaveLength(1)
  })

  it('a result ready after the reply token\'s minute is pushed to the group, with a retry key; no loading animation in a group', async () => {
    const api = await startFakeApi(SENT)
    // The gateway's clock, moved on while the run works: its reply token is then too old to use.
    let skew = 0
    const gw = await lineGateway(api, { env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '80' }, now: () => Date.now() + skew })
    const e = textEvent('late answer', { group: true })
    expectAck(await send(gw, e))
    await gw.waitForAudit((r) => r.event === 'started')
    skew = 55_000

    const [push] = await api.waitFor(1, { match: PUSH, timeoutMs: 6000 })
    expect(push!.headers.authorization).toBe(`Bearer ${CHANNEL_TOKEN}`)
    expect(push!.headers['x-line-retry-key']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(Object.keys(push!.json as object).sort()).toEqual(['messages', 'to'])
    expect((push!.json as { to: string }).to).toBe(GROUP)
    expect(echoedPrompt(texts(push!)[0]!)).toBe('late answer')
    const [run] = acceptedRuns(gw)
    expect(await auditOf(gw, { event: 'delivery', run })).toMatchObject({ status: 'delivered', attempts: 1 })
    expect(api.requests.map((r) => r.url)).toEqual([PUSH])
  })
})

describe('line end to end: deadlines and admission', () => {
  it('under saturation every acknowledgement comes inside 1 s; the refused one is a 503 with Retry-After so LINE redelivers it', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api, { env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '3000' }, limits: '{ concurrency: 1, queue: 2 }' })
    const events = [1, 2, 3, 4].map((i) => textEvent(`task ${i}`))

    const answers: PlatformAnswer[] = []
    for (const e of events) answers.push(await send(gw, e))
    console.log(`line saturation answers (ms): ${answers.map((a) => Math.round(a.ms)).join(', ')} (deadline 1000)`)
    for (const a of answers) expect(a.ms).toBeLessThan(1000)
    for (const a of answers.slice(0, 3)) expectAck(a)

    const busy = answers[3]!
    expect(busy.status).toBe(503)
    expect(busy.headers['retry-after']).toMatch(/^\d+$/)
    expect(JSON.parse(busy.text)).toMatchObject({ statusCode: 503, code: 'HOOKGATE_OVERLOADED' })
    expect(acceptedRuns(gw)).toHaveLength(3)
    expect(gw.audit().filter((r) => r.event === 'rejected')).toEqual([expect.objectContaining({ caller: 'chat', user: USER, reason: 'overloaded' })])
    await sleep(300)
    // Nothing is said to the user about the refused message: LINE will bring it back.
    expect(replies(api)).toEqual([])
  }, 20_000)

  it('a message refused as busy runs when LINE redelivers it; in a request of two, the accepted one does not run twice', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api, { env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '40' }, limits: '{ concurrency: 1, queue: 0 }' })
    const first = textEvent('first')
    const second = textEvent('second')

    const refused = await send(gw, first, second)
    expect(refused.status).toBe(503)
    expect(refused.ms).toBeLessThan(1000)
    expect(acceptedRuns(gw)).toHaveLength(1)
    await replyTo(api, first)

    // LINE redelivers the whole request, marked as such (other bytes, same event ids).
    const redelivered = [first, second].map((e) => ({ ...e, event: { ...e.event, deliveryContext: { isRedelivery: true } } }))
    expectAck(await send(gw, ...redelivered))
    expect(acceptedRuns(gw)).toHaveLength(2)
    expect(runFor(gw, 'first')).toBe(acceptedRuns(gw)[0])
    expect(echoedPrompt(replyTexts(await replyTo(api, second), second.replyToken)[0]!)).toBe('second')
    expect(gw.audit().filter((r) => r.reason === 'replayed')).toEqual([expect.objectContaining({ run: runFor(gw, 'first') })])
    expect(repliesTo(api, first)).toHaveLength(1)
  })

  it('a redelivered webhookEventId (same bytes, or marked isRedelivery) starts no second run and is acknowledged', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api)
    const e = textEvent('only once please')
    const same = lineRequest({ destination: BOT, events: [e.event] })

    expectAck(await gw.post('/v1/hooks/chat', same.body, same.headers))
    await replyTo(api, e)
    expectAck(await gw.post('/v1/hooks/chat', same.body, same.headers))
    expectAck(await send(gw, { ...e, event: { ...e.event, deliveryContext: { isRedelivery: true } } }))

    const runs = acceptedRuns(gw)
    expect(runs).toHaveLength(1)
    expect(gw.audit().filter((r) => r.event === 'rejected').map((r) => [r.reason, r.run])).toEqual([['replayed', runs[0]], ['replayed', runs[0]]])
    expect(gw.audit().filter((r) => r.event === 'started')).toHaveLength(1)
    await sleep(300)
    expect(api.requests).toHaveLength(1)
  })

  it('a user not in users: 200, nothing sent to them, audited forbidden_user, no run', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api)
    expectAck(await send(gw, textEvent('let me in', { user: STRANGER })))

    expect(gw.audit().filter((r) => r.event === 'rejected')).toEqual([expect.objectContaining({ caller: 'chat', user: STRANGER, reason: 'forbidden_user' })])
    expect(acceptedRuns(gw)).toEqual([])
    await sleep(300)
    expect(api.requests).toEqual([])
  })

  it('a wrong, missing or stale signature and a tampered body are 401 with the generic body, audited, and nothing runs', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api)
    const { body, headers } = lineRequest({ destination: BOT, events: [textEvent('hello').event] })
    const forged = Buffer.from(createHash('sha256').update('x').digest()).toString('base64')

    const answers = [
      await gw.post('/v1/hooks/chat', body, { ...headers, 'x-line-signature': forged }),
      await gw.post('/v1/hooks/chat', body.replace('hello', 'hullo'), headers),
      await gw.post('/v1/hooks/chat', body, { 'content-type': 'application/json' })
    ]
    for (const a of answers) {
      expect(a.status).toBe(401)
      expect(JSON.parse(a.text)).toEqual(GENERIC_401)
    }
    expect(gw.audit().filter((r) => r.event === 'rejected').map((r) => r.reason)).toEqual(['signature_mismatch', 'signature_mismatch', 'missing_signature'])
    expect(acceptedRuns(gw)).toEqual([])
    expect(api.requests).toEqual([])
  })

  it('signed but malformed payloads are 400 HOOKGATE_BAD_REQUEST, audited invalid_payload, and nothing runs', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api)
    const bad = textEvent('x')
    const cases: Array<[string, string]> = [
      ['{"destination": "U1", "events": [', 'malformed_json'],
      [JSON.stringify({ destination: BOT, events: { 0: bad.event } }), 'missing_events'],
      [JSON.stringify({ destination: BOT }), 'missing_events'],
      [JSON.stringify({ destination: BOT, events: [{ ...bad.event, webhookEventId: 42 }] }), 'bad_webhook_event_id'],
      [JSON.stringify({ destination: BOT, events: [{ ...bad.event, source: { type: 'user' } }] }), 'bad_source'],
      [JSON.stringify({ destination: BOT, events: [{ ...bad.event, message: { type: 'text', text: 7 } }] }), 'bad_text']
    ]
    for (const [raw, reason] of cases) {
      // Signed exactly as LINE signs (HMAC-SHA256 of the raw bytes): these pass verification.
      const signature = createHmac('sha256', LINE_SECRET).update(raw).digest('base64')
      const answer = await gw.post('/v1/hooks/chat', raw, { 'content-type': 'application/json', 'x-line-signature': signature })
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.text)).toMatchObject({ statusCode: 400, code: 'HOOKGATE_BAD_REQUEST' })
      expect(JSON.parse(answer.text).message).toContain(reason)
      expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected', caller: 'chat', reason: `invalid_payload: ${reason}` })
    }
    // The console's Verify button: no events, 200.
    expectAck(await post(gw, { destination: BOT, events: [] }))
    expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected', reason: 'ignored: no_events' })

    expect(acceptedRuns(gw)).toEqual([])
    await sleep(200)
    expect(api.requests).toEqual([])
  })
})

describe('line end to end: built-ins from the chat', () => {
  it('/help and /status are sent with the Reply API, since LINE ignores the webhook answer', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api)

    const help = textEvent('/help')
    expectAck(await send(gw, help))
    const [helpText] = replyTexts(await replyTo(api, help), help.replyToken)
    expect(helpText).toContain('/run — Ask the agent')
    expect(helpText).toContain('/deploy')
    expect(helpText).toContain('/cancel [run-id]')

    const status = textEvent('/status')
    expectAck(await send(gw, status))
    expect(replyTexts(await replyTo(api, status), status.replyToken)).toEqual(['No active runs.'])
    expect(acceptedRuns(gw)).toEqual([])
  })

  it('/status lists a running run and /cancel stops it; the cancelled result is replied to the original message', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api, { env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '1000' } })
    const job = textEvent('a long job')
    expectAck(await send(gw, job))
    const run = String((await gw.waitForAudit((r) => r.event === 'started')).run)

    const status = textEvent('/status')
    expectAck(await send(gw, status))
    expect(replyTexts(await replyTo(api, status), status.replyToken)[0]).toMatch(new RegExp(`^${run} running /run since \\d{4}-`))
    const cancel = textEvent('/cancel')
    expectAck(await send(gw, cancel))
    expect(replyTexts(await replyTo(api, cancel), cancel.replyToken)).toEqual([`Cancelling ${run}.`])

    const [result] = replyTexts(await replyTo(api, job), job.replyToken)
    expect(result).toMatch(/^⛔ Cancelled/)
    await auditOf(gw, { event: 'delivery', run, status: 'delivered' })
    expect(runEvents(gw, run)).toEqual(['accepted', 'started', 'cancelled', 'delivery:delivered'])
  }, 20_000)

  it('/deploy production asks for /confirm CODE; the confirmed run replies to the confirming message', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api)

    const ask = textEvent('/deploy production')
    expectAck(await send(gw, ask))
    const [prompt] = replyTexts(await replyTo(api, ask), ask.replyToken)
    expect(prompt).toMatch(/^\/deploy production needs confirmation: send \/confirm [A-Z0-9]+ within 5 minutes\.$/)
    const code = /\/confirm ([A-Z0-9]+)/.exec(prompt!)![1]!
    expect(acceptedRuns(gw)).toEqual([])

    const stolen = textEvent(`/confirm ${code}`, { user: OTHER_USER })
    expectAck(await send(gw, stolen))
    expect(replyTexts(await replyTo(api, stolen), stolen.replyToken)[0]).toMatch(/^Refused by policy: confirm/)
    expect(acceptedRuns(gw)).toEqual([])

    const confirm = textEvent(`/confirm ${code}`)
    expectAck(await send(gw, confirm))
    expect(echoedPrompt(replyTexts(await replyTo(api, confirm), confirm.replyToken)[0]!)).toBe('Deploy to production.')
    const [run] = acceptedRuns(gw)
    expect(gw.audit().find((r) => r.event === 'accepted')).toMatchObject({ command: 'deploy', user: USER })
    await auditOf(gw, { event: 'delivery', run, status: 'delivered' })
    expect(repliesTo(api, ask)).toHaveLength(1)
  })
})

describe('line end to end: delivery faults', () => {
  it('429 then 200, 429s past the client, 500 for ever, and a hung API: retried, delivered once or failed, audited', async () => {
    const tooMany = { status: 429, headers: { 'retry-after': '1' }, body: { message: 'The API rate limit has been exceeded. Try again later.' } }
    const api = await startFakeApi(SENT)
    const seen: Record<string, number> = {}
    const jobOf = (r: RecordedRequest): string => /"prompt":"job for (\w+)"/.exec((r.json as { messages?: Array<{ text?: string }> }).messages?.[0]?.text ?? '')?.[1] ?? ''
    api.route(REPLY, (r) => {
      const job = jobOf(r)
      const n = seen[job] = (seen[job] ?? 0) + 1
      if (job === 'once' && n === 1) return tooMany
      if (job === 'throttled' && n <= 3) return tooMany
      if (job === 'down') return { status: 500, body: { message: 'Internal server error' } }
      if (job === 'hung' && n === 1) return { ...SENT, delayMs: 3000 }
      return undefined
    })
    const calls = (job: string): RecordedRequest[] => api.requests.filter((r) => jobOf(r) === job)
    const host = new URL(api.url).host
    const gw = await lineGateway(api, {
      limits: '{ concurrency: 4 }',
      // The production client with a per-attempt timeout short enough to see a hang in a test.
      deps: { outbound: createHttpOutbound({ timeoutMs: 500, backoffMs: 50 }) }
    })
    const jobs = Object.fromEntries(['once', 'throttled', 'down', 'hung'].map((job) => [job, textEvent(`job for ${job}`)]))
    for (const e of Object.values(jobs)) expectAck(await send(gw, e))

    const once = runFor(gw, 'job for once')
    await auditOf(gw, { event: 'delivery', run: once, status: 'delivered' }, 10_000)
    expect(calls('once')).toHaveLength(2)
    for (const c of calls('once')) replyTexts(c, jobs.once!.replyToken)
    expect(calls('once')[1]!.at - calls('once')[0]!.at).toBeGreaterThanOrEqual(950)
    expect(runEvents(gw, once)).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])

    const throttled = runFor(gw, 'job for throttled')
    await auditOf(gw, { event: 'delivery', run: throttled, status: 'delivered' }, 10_000)
    expect(runEvents(gw, throttled)).toEqual(['accepted', 'started', 'finished', 'delivery:retrying', 'delivery:delivered'])
    expect(gw.audit().find((r) => r.run === throttled && r.status === 'retrying')).toMatchObject({ attempts: 1, reason: `${host}: answered 429` })
    expect(calls('throttled')).toHaveLength(4)
    expect(calls('throttled')[3]!.at - calls('throttled')[2]!.at).toBeGreaterThanOrEqual(950)

    const hung = runFor(gw, 'job for hung')
    await auditOf(gw, { event: 'delivery', run: hung, status: 'delivered' }, 10_000)
    expect(calls('hung')).toHaveLength(2)
    expect(calls('hung')[1]!.at - calls('hung')[0]!.at).toBeLessThan(2500)

    const down = runFor(gw, 'job for down')
    const failed = await auditOf(gw, { event: 'delivery', run: down, status: 'failed' }, 15_000)
    expect(failed).toMatchObject({ channel: 'reply', attempts: 4, reason: `${host}: answered 500` })
    expect(runEvents(gw, down)).toEqual(['accepted', 'started', 'finished', 'delivery:retrying', 'delivery:retrying', 'delivery:retrying', 'delivery:failed'])
    const tried = calls('down').length
    expect(tried).toBeGreaterThanOrEqual(4)
    // 500 is not LINE refusing the token: never a push, and nothing thrown. The gateway keeps answering.
    expect(api.requests.filter((r) => r.url === PUSH)).toEqual([])
    const after = textEvent('/status')
    expectAck(await send(gw, after))
    expect(replyTexts(await replyTo(api, after), after.replyToken)).toEqual(['No active runs.'])
    await sleep(400)
    expect(calls('down')).toHaveLength(tried)
  }, 30_000)
})

describe('line end to end: long output', () => {
  // Prints `lines N` lines with an emoji each (2 UTF-16 units, as LINE counts them).
  const SCRIPT = [
    "const m = /^lines (\\d+)$/.exec(process.argv[1] ?? '')",
    "if (m === null) { console.error('usage: lines N'); process.exit(2) }",
    "let out = ''; for (let i = 1; i <= Number(m[1]); i++) out += 'line ' + String(i).padStart(4, '0') + ' 🙂 ' + 'the quick brown fox jumps over the lazy dog '.repeat(2).slice(0, 40 + (i * 7) % 40) + '.\\n'",
    'process.stdout.write(out)'
  ].join('\n')
  const AGENT = JSON.stringify({ profile: 'command', argv: [process.execPath, '-e', SCRIPT, '{prompt}'], timeout: 20, kill_grace: 1 })
  const PUBLIC = 'http://127.0.0.1:9'

  function expectedLines (n: number): string[] {
    const out: string[] = []
    for (let i = 1; i <= n; i++) out.push('line ' + String(i).padStart(4, '0') + ' 🙂 ' + 'the quick brown fox jumps over the lazy dog '.repeat(2).slice(0, 40 + (i * 7) % 40) + '.')
    return out
  }

  /** Checks the parts against the output: ≤ 5000 UTF-16 units, markers, whole lines in order; returns the note, if any. */
  function checkSplit (parts: string[], lines: string[]): { link: string, lines: string } | null {
    let next = 0
    let note: RegExpExecArray | null = null
    for (const [i, part] of parts.entries()) {
      expect(part.length).toBeLessThanOrEqual(5000)
      const marker = `(${i + 1}/${parts.length})`
      expect(part.endsWith('\n' + marker)).toBe(true)
      let body = part.slice(0, -marker.length - 1)
      if (i === parts.length - 1) {
        note = /\n✂ ([\d,]+) more characters \(([\d,]+) lines\) not shown\.\nFull result: (.+)$/.exec(body)
        if (note !== null) body = body.slice(0, note.index)
      }
      for (const line of body.replace(/\n$/, '').split('\n')) expect(line).toBe(lines[next++])
    }
    if (note === null) {
      expect(next).toBe(lines.length)
      return null
    }
    expect(note[2]).toBe(String(lines.length - next))
    return { link: note[3]!, lines: note[2]! }
  }

  it('about 20,000 characters: several messages on line boundaries in one Reply call, nothing left out', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api, { agent: AGENT })
    const lines = expectedLines(270)
    expect(lines.join('\n').length).toBeGreaterThan(19_000)
    const e = textEvent('lines 270')
    expectAck(await send(gw, e))
    const parts = replyTexts(await replyTo(api, e), e.replyToken)
    expect(parts.length).toBeGreaterThan(3)
    expect(parts.length).toBeLessThanOrEqual(5)
    expect(checkSplit(parts, lines)).toBeNull()
  })

  it('past five messages: the fifth ends with a note linking to the run; the link reads the run but cannot cancel it', async () => {
    const api = await startFakeApi(SENT)
    const gw = await lineGateway(api, { agent: AGENT, server: `{ public_url: "${PUBLIC}" }` })
    const lines = expectedLines(500)
    const e = textEvent('lines 500')
    expectAck(await send(gw, e))
    const call = await replyTo(api, e)
    const parts = replyTexts(call, e.replyToken)
    expect(parts).toHaveLength(5)
    const note = checkSplit(parts, lines)
    const [run] = acceptedRuns(gw)
    expect(note!.link).toMatch(new RegExp(`^${PUBLIC}/v1/runs/${run}\\?token=lnk_[A-Za-z0-9_-]+$`))

    const { pathname, search } = new URL(note!.link)
    const read = await gw.app.inject({ method: 'GET', url: pathname + search })
    expect(read.statusCode).toBe(200)
    expect(read.json()).toMatchObject({ id: run, status: 'succeeded', output: lines.join('\n') + '\n' })
    expect((await gw.app.inject({ method: 'POST', url: `${pathname}/cancel${search}` })).statusCode).toBe(401)
    const token = new URLSearchParams(search).get('token')!
    expect((await gw.app.inject({ method: 'POST', url: `${pathname}/cancel`, headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401)
    await auditOf(gw, { event: 'delivery', run, status: 'delivered' })
    expect(api.requests).toHaveLength(1)
  })
})
