// Twilio end to end: a request signed with the official `twilio` package goes over TCP to a real
// gateway, the fake `claude` (or a line-printing command) runs, and the result reaches the user
// either in the TwiML answer (runs that finish inside the 8 s window) or through the Messages API
// of a local fake Twilio. Every answer is checked in Twilio's own format, and the audit trail too.
import { createHash, randomBytes } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import { platformGateway, type PlatformAnswer, type PlatformGateway } from '../../helpers/platform-gateway.ts'
import { twilioRequest, TWILIO_TOKEN } from '../../helpers/platform-sign.ts'
import { startFakeApi, type FakeApi, type RecordedRequest } from '../../helpers/fake-api.ts'
import type { TestGatewayOptions } from '../../helpers/build-app.ts'
import { createHttpOutbound } from '../../../src/delivery/http-outbound.ts'
import { acceptedRuns, auditOf, runEvents, sleep } from '../../helpers/audit-queries.ts'

const ACCOUNT_SID = 'AC3f8a92c1d04e6b7a58c9e0f1a2b3c4d5'
const USER = '+15551234567'
const OTHER_USER = '+15557654321'
const BOT = '+15550001111'
const MESSAGES_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`
const BASIC = 'Basic ' + Buffer.from(`${ACCOUNT_SID}:${TWILIO_TOKEN}`).toString('base64')
const EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
const BUSY = 'The agent is busy with other work right now; try again in a minute.'
const NOT_ALLOWED = 'Sorry, you are not allowed to use this bot. Ask its owner to add your user id.'
/** What Twilio's Messages API answers to a created message. */
const CREATED = { status: 201, body: { sid: 'SM' + 'f'.repeat(32), status: 'queued' } }

function callerYaml (id: string, api: FakeApi, extra = ''): string {
  return `${id}: { scheme: twilio, secrets: [${TWILIO_TOKEN}], users: ["${USER}", "${OTHER_USER}"], commands: [run, deploy], default_command: run, ${extra}` +
    `reply: { account_sid: "${ACCOUNT_SID}", api_base: "${api.url}" } }`
}

async function twilioGateway (api: FakeApi, opts: Omit<TestGatewayOptions, 'callers'> = {}, callerExtra = ''): Promise<PlatformGateway> {
  return platformGateway({ ...opts, callers: `{ ${callerYaml('sms', api, callerExtra)} }` })
}

const newSid = (): string => 'SM' + randomBytes(16).toString('hex')

interface Sms { body: string, headers: Record<string, string>, sid: string }

/** A message as Twilio posts it, signed over `signedBase` + the path (the gateway's URL unless a public_url is configured). */
function sms (gw: PlatformGateway, text: string, opts: { from?: string, sid?: string, caller?: string, signedBase?: string } = {}): Sms {
  const sid = opts.sid ?? newSid()
  const path = `/v1/hooks/${opts.caller ?? 'sms'}`
  const signed = twilioRequest((opts.signedBase ?? gw.url) + path, {
    ToCountry: 'US',
    SmsMessageSid: sid,
    NumMedia: '0',
    SmsSid: sid,
    SmsStatus: 'received',
    Body: text,
    To: BOT,
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: ACCOUNT_SID,
    From: opts.from ?? USER,
    ApiVersion: '2010-04-01'
  })
  return { ...signed, sid }
}

function send (gw: PlatformGateway, m: Sms, caller = 'sms'): Promise<PlatformAnswer> {
  return gw.post(`/v1/hooks/${caller}`, m.body, m.headers)
}

/** The texts of the `<Message>` elements, unescaped, after checking the answer is TwiML. */
function twimlMessages (answer: PlatformAnswer): string[] {
  expect(answer.status).toBe(200)
  expect(answer.headers['content-type']).toMatch(/^text\/xml/)
  if (answer.text === EMPTY) return []
  expect(answer.text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?><Response>(<Message>[^<]*<\/Message>)+<\/Response>$/)
  return [...answer.text.matchAll(/<Message>([^<]*)<\/Message>/g)].map((m) => m[1]!
    .replace(/&#xD;/g, '\r').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'))
}

/** The fake agent's result: a JSON echo of the prompt it was given. */
function echoedPrompt (text: string): string {
  return (JSON.parse(text) as { prompt: string }).prompt
}

function expectMessagesApiCall (req: RecordedRequest, body: string | RegExp): void {
  expect(req.method).toBe('POST')
  expect(req.url).toBe(MESSAGES_PATH)
  expect(req.headers.authorization).toBe(BASIC)
  expect(req.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/)
  expect(Object.keys(req.form ?? {}).sort()).toEqual(['Body', 'From', 'To'])
  expect(req.form?.To).toBe(USER)
  expect(req.form?.From).toBe(BOT)
  if (typeof body === 'string') expect(req.form?.Body).toBe(body)
  else expect(req.form?.Body).toMatch(body)
}

async function until (done: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}

describe('twilio end to end: results', () => {
  it('a run that finishes inside the window comes back in the TwiML answer; the Messages API is not used', async () => {
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api)
    const m = sms(gw, '  Why is the build red? <ci> & "main"  ')

    const answer = await send(gw, m)
    const texts = twimlMessages(answer)
    expect(texts).toHaveLength(1)
    // The agent got the trimmed Body verbatim, and its output is what the user reads.
    expect(echoedPrompt(texts[0]!)).toBe('Why is the build red? <ci> & "main"')
    expect(answer.text).toContain('&lt;ci&gt; &amp;')
    expect(answer.ms).toBeLessThan(8000)

    const [run] = acceptedRuns(gw)
    expect(run).toMatch(/^run_/)
    const delivered = await auditOf(gw, { event: 'delivery', run, status: 'delivered' })
    expect(delivered).toMatchObject({ caller: 'sms', user: USER, channel: 'reply', attempts: 1, reason: 'in the webhook answer' })
    const records = gw.audit()
    expect(records[0]).toMatchObject({ event: 'request', caller: 'sms' })
    expect(records.find((r) => r.event === 'accepted')).toMatchObject({ caller: 'sms', user: USER, run, command: 'run', prompt_chars: 35 })
    expect(runEvents(gw, run!)).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])
    expect(records.find((r) => r.event === 'finished')).toMatchObject({ status: 'succeeded', exit_code: 0 })
    // Given time, still nothing went to the Messages API: the user gets the result exactly once.
    await sleep(400)
    expect(api.requests).toEqual([])
  })

  it('a slow run: <Response/> inside the window, then the result through the Messages API', async () => {
    const api = await startFakeApi(CREATED)
    // slow: ~19 lines, 480 ms apart: about 9 s, past the 8 s window.
    const gw = await twilioGateway(api, { env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '480' } })
    const m = sms(gw, 'take your time')

    const answer = await send(gw, m)
    console.log(`twilio slow run: <Response/> after ${Math.round(answer.ms)} ms`)
    expect(answer.text).toBe(EMPTY)
    expect(answer.headers['content-type']).toMatch(/^text\/xml/)
    expect(answer.ms).toBeGreaterThan(7500)
    expect(answer.ms).toBeLessThan(15_000)
    expect(api.requests).toEqual([])

    const [call] = await api.waitFor(1, { timeoutMs: 8000 })
    expectMessagesApiCall(call!, /^\{"prompt":"take your time"/)
    expect(echoedPrompt(call!.form!.Body!)).toBe('take your time')
    const [run] = acceptedRuns(gw)
    const delivered = await auditOf(gw, { event: 'delivery', run, status: 'delivered' })
    expect(delivered).toMatchObject({ channel: 'reply', attempts: 1, user: USER })
    expect(delivered.reason).toBeUndefined()
    expect(runEvents(gw, run!)).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])
    await sleep(300)
    expect(api.requests).toHaveLength(1)
  }, 30_000)
})

describe('twilio end to end: deadlines and admission', () => {
  it('under saturation every answer comes inside Twilio\'s 15 s, and the refused message says the agent is busy', async () => {
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api, { env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '3000' }, limits: '{ concurrency: 1, queue: 2 }' })
    const messages = [1, 2, 3, 4].map((i) => sms(gw, `task ${i}`))

    // One by one, so the order is known: one runs, two queue, the fourth is refused.
    const pending: Array<Promise<PlatformAnswer>> = []
    for (const m of messages) {
      pending.push(send(gw, m))
      await until(() => gw.audit().filter((r) => r.event === 'accepted' || r.reason === 'overloaded').length === pending.length)
    }
    const answers = await Promise.all(pending)
    console.log(`twilio saturation answers (ms): ${answers.map((a) => Math.round(a.ms)).join(', ')} (deadline 15000)`)
    for (const a of answers) expect(a.ms).toBeLessThan(15_000)

    expect(answers.slice(0, 3).map((a) => a.text)).toEqual([EMPTY, EMPTY, EMPTY])
    expect(twimlMessages(answers[3]!)).toEqual([BUSY])
    expect(answers[3]!.ms).toBeLessThan(2000)
    expect(acceptedRuns(gw)).toHaveLength(3)
    expect(gw.audit().filter((r) => r.event === 'rejected')).toEqual([expect.objectContaining({ reason: 'overloaded', user: USER, caller: 'sms' })])
    expect(gw.audit().filter((r) => r.event === 'started')).toHaveLength(1)
    expect(api.requests).toEqual([])
    // gw.close (at the end of the test) stops the running agent and drops the queued runs.
  }, 30_000)

  it('a redelivered MessageSid starts no second run and is answered with an empty TwiML', async () => {
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api)
    const m = sms(gw, 'only once please')

    const first = await send(gw, m)
    expect(echoedPrompt(twimlMessages(first)[0]!)).toBe('only once please')
    const again = await send(gw, m)
    // The user already has the result from the first answer: nothing is sent again.
    expect(again.text).toBe(EMPTY)
    expect(again.headers['content-type']).toMatch(/^text\/xml/)

    const runs = acceptedRuns(gw)
    expect(runs).toHaveLength(1)
    expect(gw.audit().filter((r) => r.event === 'rejected')).toEqual([expect.objectContaining({ reason: 'replayed', run: runs[0], user: USER })])
    expect(gw.audit().filter((r) => r.event === 'started')).toHaveLength(1)
    await sleep(300)
    expect(api.requests).toEqual([])
  })

  it('a sender not in users gets a polite TwiML refusal, audited forbidden_user, and nothing runs', async () => {
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api)
    const answer = await send(gw, sms(gw, 'let me in', { from: '+15550009999' }))

    expect(twimlMessages(answer)).toEqual([NOT_ALLOWED])
    expect(gw.audit().filter((r) => r.event === 'rejected')).toEqual([expect.objectContaining({ caller: 'sms', user: '+15550009999', reason: 'forbidden_user' })])
    expect(acceptedRuns(gw)).toEqual([])
    expect(api.requests).toEqual([])
  })

  it('a wrong signature, a missing one or a tampered body is 401 with the generic body, audited, and nothing runs', async () => {
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api)
    const generic = { statusCode: 401, code: 'HOOKGATE_UNAUTHORIZED', error: 'Unauthorized', message: 'Unauthorized' }

    const good = sms(gw, 'hello')
    const forged = sms(gw, 'hello')
    const wrongKey = await gw.post('/v1/hooks/sms', forged.body, { ...forged.headers, 'x-twilio-signature': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' })
    const tampered = await gw.post('/v1/hooks/sms', good.body.replace('Body=hello', 'Body=rm+-rf+%2F'), good.headers)
    // Signed over another URL (another caller's path): not this request.
    const otherUrl = sms(gw, 'hello', { caller: 'elsewhere' })
    const wrongUrl = await gw.post('/v1/hooks/sms', otherUrl.body, otherUrl.headers)
    const { 'x-twilio-signature': _, ...unsigned } = good.headers
    const missing = await gw.post('/v1/hooks/sms', good.body, unsigned)

    for (const a of [wrongKey, tampered, wrongUrl, missing]) {
      expect(a.status).toBe(401)
      expect(JSON.parse(a.text)).toEqual(generic)
    }
    const reasons = gw.audit().filter((r) => r.event === 'rejected').map((r) => r.reason)
    expect(reasons).toEqual(['signature_mismatch', 'signature_mismatch', 'signature_mismatch', 'missing_signature'])
    expect(gw.audit().filter((r) => r.event === 'request')).toHaveLength(4)
    expect(acceptedRuns(gw)).toEqual([])
    expect(api.requests).toEqual([])
  })

  it('signed but malformed payloads are 400 HOOKGATE_BAD_REQUEST, audited invalid_payload, and nothing runs', async () => {
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api)
    const url = gw.url + '/v1/hooks/sms'
    const cases: Array<[Record<string, string>, string]> = [
      [{ Body: 'no sid', From: USER, To: BOT, AccountSid: ACCOUNT_SID }, 'bad_message_sid'],
      [{ MessageSid: 'SMnot-a-sid', Body: 'bad sid', From: USER, To: BOT }, 'bad_message_sid'],
      [{ MessageSid: newSid(), Body: 'no sender', To: BOT }, 'bad_from'],
      [{ MessageSid: newSid(), From: USER, To: BOT }, 'missing_body']
    ]
    for (const [params, reason] of cases) {
      const r = twilioRequest(url, params)
      const answer = await gw.post('/v1/hooks/sms', r.body, r.headers)
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.text)).toMatchObject({ statusCode: 400, code: 'HOOKGATE_BAD_REQUEST' })
      expect(JSON.parse(answer.text).message).toContain(reason)
      expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected', caller: 'sms', reason: `invalid_payload: ${reason}` })
    }
    // A delivery status callback pointed at the same URL is not a message: acknowledged, nothing runs.
    const status = twilioRequest(url, { MessageSid: newSid(), MessageStatus: 'delivered', From: BOT, To: USER, AccountSid: ACCOUNT_SID })
    const ack = await gw.post('/v1/hooks/sms', status.body, status.headers)
    expect(ack.text).toBe(EMPTY)
    expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected', reason: 'ignored: status_callback' })

    expect(acceptedRuns(gw)).toEqual([])
    expect(gw.audit().filter((r) => r.event === 'rejected')).toHaveLength(5)
    expect(api.requests).toEqual([])
  })
})

describe('twilio end to end: built-ins from the chat', () => {
  it('/help and /status answer in TwiML and start nothing', async () => {
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api)

    const [help] = twimlMessages(await send(gw, sms(gw, '/help')))
    expect(help).toContain('/run — Ask the agent')
    expect(help).toContain('/deploy')
    expect(help).toContain('Text without a leading slash runs /run.')
    expect(help).toContain('/cancel [run-id]')
    expect(help).not.toContain('/git')
    expect(twimlMessages(await send(gw, sms(gw, '/status')))).toEqual(['No active runs.'])
    expect(acceptedRuns(gw)).toEqual([])
    expect(api.requests).toEqual([])
  })

  it('/status lists a running run and /cancel stops it; the cancelled result says so in its answer', async () => {
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api, { env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '1000' } })

    const long = send(gw, sms(gw, 'a long job'))
    const started = await gw.waitForAudit((r) => r.event === 'started')
    const run = String(started.run)

    const [status] = twimlMessages(await send(gw, sms(gw, '/status')))
    expect(status).toMatch(new RegExp(`^${run} running /run since \\d{4}-`))
    // Another user's /status does not show it, nor can they cancel it.
    expect(twimlMessages(await send(gw, sms(gw, '/status', { from: OTHER_USER })))).toEqual(['No active runs.'])
    expect(twimlMessages(await send(gw, sms(gw, '/cancel', { from: OTHER_USER })))).toEqual(['No active run to cancel.'])

    expect(twimlMessages(await send(gw, sms(gw, '/cancel')))).toEqual([`Cancelling ${run}.`])
    const answer = await long
    const [result] = twimlMessages(answer)
    expect(result).toMatch(/^⛔ Cancelled/)
    expect(answer.ms).toBeLessThan(8000)
    expect(await auditOf(gw, { event: 'cancelled', run })).toMatchObject({ status: 'cancelled' })
    expect(await auditOf(gw, { event: 'delivery', run })).toMatchObject({ status: 'delivered', reason: 'in the webhook answer' })
    expect(runEvents(gw, run)).toEqual(['accepted', 'started', 'cancelled', 'delivery:delivered'])
    expect(api.requests).toEqual([])
  }, 20_000)

  it('/deploy production asks for /confirm CODE; the code works once, for that user only, and the run answers', async () => {
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api)

    const [prompt] = twimlMessages(await send(gw, sms(gw, '/deploy production')))
    const code = /send \/confirm ([A-Z0-9]+) within 5 minutes/.exec(prompt!)?.[1]
    expect(prompt).toMatch(/^\/deploy production needs confirmation: send \/confirm [A-Z0-9]+ within 5 minutes\.$/)
    expect(code).toBeDefined()
    expect(acceptedRuns(gw)).toEqual([])

    // Another allowed user cannot use the code.
    const [stolen] = twimlMessages(await send(gw, sms(gw, `/confirm ${code}`, { from: OTHER_USER })))
    expect(stolen).toBe('Refused by policy: confirm (unknown, expired or already used code). Send /help to see what you can ask.')
    expect(acceptedRuns(gw)).toEqual([])

    const [result] = twimlMessages(await send(gw, sms(gw, `/confirm ${code!.toLowerCase()}`)))
    expect(echoedPrompt(result!)).toBe('Deploy to production.')
    const [run] = acceptedRuns(gw)
    expect(gw.audit().find((r) => r.event === 'accepted')).toMatchObject({ command: 'deploy', user: USER })
    await auditOf(gw, { event: 'delivery', run, status: 'delivered' })

    // Used: a second /confirm with it is refused and starts nothing.
    const [reused] = twimlMessages(await send(gw, sms(gw, `/confirm ${code}`)))
    expect(reused).toMatch(/^Refused by policy: confirm/)
    expect(acceptedRuns(gw)).toHaveLength(1)
    expect(gw.audit().filter((r) => r.reason === 'policy: confirm')).toHaveLength(2)
    expect(api.requests).toEqual([])
  })
})

describe('twilio end to end: delivery faults', () => {
  it('429 then 200, 500 for ever, and a hung API: retried, delivered once or failed, audited, and the gateway keeps answering', async () => {
    const tooMany = { status: 429, headers: { 'retry-after': '1' }, body: { code: 20429, message: 'Too Many Requests' } }
    const api = await startFakeApi(CREATED)
    // One fake Twilio, four behaviours, told apart by the job each result answers.
    const seen: Record<string, number> = {}
    const jobOf = (r: RecordedRequest): string => /"prompt":"job for (\w+)"/.exec(r.form?.Body ?? '')?.[1] ?? ''
    api.route(MESSAGES_PATH, (r) => {
      const job = jobOf(r)
      const n = seen[job] = (seen[job] ?? 0) + 1
      if (job === 'once' && n === 1) return tooMany
      if (job === 'throttled' && n <= 3) return tooMany
      if (job === 'down') return { status: 500, body: { code: 20500, message: 'Internal Server Error' } }
      if (job === 'hung' && n === 1) return { ...CREATED, delayMs: 3000 }
      return undefined
    })
    const calls = (job: string): RecordedRequest[] => api.requests.filter((r) => jobOf(r) === job)
    const host = new URL(api.url).host

    const gw = await twilioGateway(api, {
      env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '480' },
      limits: '{ concurrency: 4 }',
      // The production client, with a per-attempt timeout short enough to see a hang in a test and
      // short backoffs (Retry-After still rules).
      deps: { outbound: createHttpOutbound({ timeoutMs: 500, backoffMs: 50 }) }
    // Four runs at once from one phone: as one conversation they would run one after the other.
    }, 'sessions: false, ')
    const jobs = ['once', 'throttled', 'down', 'hung']
    const answers = await Promise.all(jobs.map((job) => send(gw, sms(gw, `job for ${job}`))))
    for (const a of answers) expect(a.text).toBe(EMPTY)
    // Which run is which: the audit log has each prompt's hash.
    const run = (job: string): string => String(gw.audit().find((r) => r.event === 'accepted' &&
      r.prompt_sha256 === createHash('sha256').update(`job for ${job}`).digest('hex'))?.run)

    // One 429 with Retry-After: 1: the client waits the second it was told and sends again; one message.
    const once = run('once')
    await auditOf(gw, { event: 'delivery', run: once, status: 'delivered' }, 10_000)
    expect(calls('once')).toHaveLength(2)
    expect(calls('once')[1]!.at - calls('once')[0]!.at).toBeGreaterThanOrEqual(950)
    for (const r of calls('once')) expectMessagesApiCall(r, /"prompt":"job for once"/)
    expect(runEvents(gw, once)).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])

    // 429s past the client's own attempts: the delivery service retries after Retry-After, then delivers once.
    const throttled = run('throttled')
    await auditOf(gw, { event: 'delivery', run: throttled, status: 'delivered' }, 10_000)
    expect(runEvents(gw, throttled)).toEqual(['accepted', 'started', 'finished', 'delivery:retrying', 'delivery:delivered'])
    expect(gw.audit().find((r) => r.run === throttled && r.status === 'retrying')).toMatchObject({ attempts: 1, reason: `${host}: answered 429` })
    expect(gw.audit().find((r) => r.run === throttled && r.status === 'delivered')).toMatchObject({ attempts: 2 })
    expect(calls('throttled')).toHaveLength(4)
    expect(calls('throttled')[3]!.at - calls('throttled')[2]!.at).toBeGreaterThanOrEqual(950)

    // A hang longer than the client's timeout: abandoned and sent again.
    const hung = run('hung')
    await auditOf(gw, { event: 'delivery', run: hung, status: 'delivered' }, 10_000)
    expect(calls('hung')).toHaveLength(2)
    expect(calls('hung')[1]!.at - calls('hung')[0]!.at).toBeLessThan(2500)
    for (const r of calls('hung')) expectMessagesApiCall(r, /"prompt":"job for hung"/)

    // 500 every time: retried (the client's attempts within each of the service's 4), then failed.
    const down = run('down')
    const failed = await auditOf(gw, { event: 'delivery', run: down, status: 'failed' }, 20_000)
    expect(failed).toMatchObject({ channel: 'reply', attempts: 4, reason: `${host}: answered 500` })
    expect(runEvents(gw, down)).toEqual(['accepted', 'started', 'finished', 'delivery:retrying', 'delivery:retrying', 'delivery:retrying', 'delivery:failed'])
    expect(gw.audit().filter((r) => r.run === down && r.status === 'retrying').map((r) => r.attempts)).toEqual([1, 2, 3])
    expect(calls('down').length).toBeGreaterThanOrEqual(4)
    const tried = calls('down').length
    // Nothing was thrown at anyone: the gateway still answers, and has given up for good.
    expect(twimlMessages(await send(gw, sms(gw, '/status')))).toEqual(['No active runs.'])
    expect((await gw.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
    await sleep(500)
    expect(calls('down')).toHaveLength(tried)
  }, 45_000)
})

describe('twilio end to end: long output', () => {
  // Prints `lines N` lines (optionally `after MS`), each a complete sentence that says its number.
  const SCRIPT = [
    "const m = /^lines (\\d+)(?: after (\\d+))?$/.exec(process.argv[1] ?? '')",
    "if (m === null) { console.error('usage: lines N [after MS]'); process.exit(2) }",
    "setTimeout(() => { let out = ''; for (let i = 1; i <= Number(m[1]); i++) out += 'line ' + String(i).padStart(4, '0') + ': ' + 'the quick brown fox jumps over the lazy dog '.repeat(2).slice(0, 30 + (i * 7) % 40) + '.\\n'; process.stdout.write(out) }, Number(m[2] ?? 0))"
  ].join('\n')
  const AGENT = JSON.stringify({ profile: 'command', argv: [process.execPath, '-e', SCRIPT, '{prompt}'], timeout: 20, kill_grace: 1 })
  const PUBLIC = 'http://127.0.0.1:9'

  function expectedLines (n: number): string[] {
    const out: string[] = []
    for (let i = 1; i <= n; i++) out.push('line ' + String(i).padStart(4, '0') + ': ' + 'the quick brown fox jumps over the lazy dog '.repeat(2).slice(0, 30 + (i * 7) % 40) + '.')
    return out
  }

  interface Split {
    /** The link in the note. */
    link: string
    /** What the note says was left out, and what really was. */
    noted: { chars: string, lines: string }
    left: { chars: string, lines: string }
  }

  /** Checks the split of `parts` against the whole output: size, markers, whole lines in order, the note last. */
  function checkSplit (parts: string[], lines: string[], limit: number): Split {
    expect(parts).toHaveLength(3)
    let next = 0
    let split: Split | undefined
    for (const [i, part] of parts.entries()) {
      expect([...part].length).toBeLessThanOrEqual(limit)
      const marker = `(${i + 1}/3)`
      expect(part.endsWith('\n' + marker)).toBe(true)
      let body = part.slice(0, -marker.length - 1)
      let note: RegExpExecArray | null = null
      if (i === 2) {
        note = /\n✂ ([\d,]+) more characters \(([\d,]+) lines\) not shown\.\nFull result: (.+)$/.exec(body)
        expect(note).not.toBeNull()
        body = body.slice(0, note!.index)
      }
      // Whole lines only, in order, none skipped (a slice keeps its own last newline before the marker).
      for (const line of body.replace(/\n$/, '').split('\n')) expect(line).toBe(lines[next++])
      if (note !== null) {
        const rest = lines.slice(next).join('\n')
        split = {
          link: note[3]!,
          noted: { chars: note[1]!, lines: note[2]! },
          left: { chars: rest.length.toLocaleString('en-US'), lines: String(lines.length - next) }
        }
      }
    }
    expect(next).toBeLessThan(lines.length)
    expect(split!.noted.lines).toBe(split!.left.lines)
    return split!
  }

  async function checkLink (gw: PlatformGateway, link: string, run: string, lines: string[]): Promise<void> {
    expect(link).toMatch(new RegExp(`^${PUBLIC}/v1/runs/${run}\\?token=lnk_[A-Za-z0-9_-]+$`))
    const { pathname, search } = new URL(link)
    const token = new URLSearchParams(search).get('token')!
    // The link's token reads the run …
    const read = await gw.app.inject({ method: 'GET', url: pathname + search })
    expect(read.statusCode).toBe(200)
    expect(read.json()).toMatchObject({ id: run, status: 'succeeded', output: lines.join('\n') + '\n' })
    // … and controls nothing.
    const cancel = await gw.app.inject({ method: 'POST', url: `${pathname}/cancel${search}` })
    expect(cancel.statusCode).toBe(401)
    const bearer = await gw.app.inject({ method: 'POST', url: `${pathname}/cancel`, headers: { authorization: `Bearer ${token}` } })
    expect(bearer.statusCode).toBe(401)
    expect((await gw.app.inject({ method: 'GET', url: pathname })).statusCode).toBe(401)
  }

  it('a long result in the answer: three <Message>s on line boundaries, ≤ 1600 characters, the last one linking to the run', async () => {
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api, { agent: AGENT, server: `{ public_url: "${PUBLIC}" }` })
    const lines = expectedLines(320)
    expect(lines.join('\n').length).toBeGreaterThan(19_000)

    // Twilio signs the public URL it was given, not the address the gateway listens on.
    const answer = await send(gw, sms(gw, 'lines 320', { signedBase: PUBLIC }))
    const parts = twimlMessages(answer)
    const { link } = checkSplit(parts, lines, 1600)
    const [run] = acceptedRuns(gw)
    await checkLink(gw, link, run!, lines)
    await auditOf(gw, { event: 'delivery', run, status: 'delivered', reason: 'in the webhook answer' })
    expect(api.requests).toEqual([])
  })

  it('a long result past the window: the same three messages through the Messages API, in order', async () => {
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api, { agent: AGENT, server: `{ public_url: "${PUBLIC}" }` })
    const lines = expectedLines(320)

    const answer = await send(gw, sms(gw, 'lines 320 after 8300', { signedBase: PUBLIC }))
    expect(answer.text).toBe(EMPTY)
    const calls = await api.waitFor(3, { timeoutMs: 8000 })
    for (const c of calls) expectMessagesApiCall(c, /^line 0/)
    const { link } = checkSplit(calls.map((c) => c.form!.Body!), lines, 1600)
    const [run] = acceptedRuns(gw)
    await checkLink(gw, link, run!, lines)
    expect(await auditOf(gw, { event: 'delivery', run, status: 'delivered' })).toMatchObject({ attempts: 1 })
    await sleep(200)
    expect(api.requests).toHaveLength(3)
  }, 30_000)

  it('the note counts exactly the characters left out', async () => {
    // Slices are contiguous: the count starts right after the last shown slice (it once started one
    // character late, src/delivery/plan-parts.ts `chunk.end + 1`).
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api, { agent: AGENT })
    const split = checkSplit(twimlMessages(await send(gw, sms(gw, 'lines 320'))), expectedLines(320), 1600)
    // Without a public URL the note names the run instead of linking to it.
    expect(split.link).toMatch(/^run (run_\w+) \(GET \/v1\/runs\/\1\)$/)
    expect(split.noted).toEqual(split.left)
  })

  it('flood mode: megabytes of streamed text are not the result; the one-line result is what the user gets', async () => {
    const api = await startFakeApi(CREATED)
    const gw = await twilioGateway(api, { env: { FAKE_CLAUDE_MODE: 'flood', FAKE_CLAUDE_FLOOD_BYTES: '20000' } })
    expect(twimlMessages(await send(gw, sms(gw, 'flood me')))).toEqual(['flood finished'])
  })
})
