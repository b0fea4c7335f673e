// Microsoft Teams end to end: an outgoing-webhook activity signed as Teams signs it (Microsoft's
// sample: HMAC-SHA256 keyed with the decoded security token) goes over TCP to a real gateway. A run
// that finishes inside the 3.5 s window comes back in the answer activity; otherwise the answer says
// "working on it" and the result is posted as an Adaptive Card to a local fake Workflows webhook.
import { createHmac, randomBytes } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import { platformGateway, type PlatformAnswer, type PlatformGateway } from '../../helpers/platform-gateway.ts'
import { teamsRequest, TEAMS_TOKEN } from '../../helpers/platform-sign.ts'
import { startFakeApi, type FakeApi, type RecordedRequest } from '../../helpers/fake-api.ts'
import type { TestGatewayOptions } from '../../helpers/build-app.ts'
import { createHttpOutbound } from '../../../src/delivery/http-outbound.ts'
import { acceptedRuns, auditOf, runEvents, runFor, sleep } from '../../helpers/audit-queries.ts'

const USER = '29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw'
const OTHER_USER = '29:1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ'
const STRANGER = '29:0000000000000000000000000000000000stranger'
const CHANNEL = '19:8e2b3c4d5f6a4b7c8d9e0f1a2b3c4d5e@thread.tacv2'
const WORKFLOW = '/workflows/2f7c/triggers/manual/paths/invoke?api-version=1&sig=x'
const ACCEPTED = { status: 202 }
const GENERIC_401 = { statusCode: 401, code: 'HOOKGATE_UNAUTHORIZED', error: 'Unauthorized', message: 'Unauthorized' }
const BUSY = 'The agent is busy with other work right now; try again in a minute.'
const NOT_ALLOWED = 'Sorry, you are not allowed to use this bot. Ask its owner to add your user id.'
const WORKING = /^Working on it… the result will be posted to this channel \(run (run_\w+)\)$/

function callerYaml (api: FakeApi): string {
  return `{ team: { scheme: teams, secrets: ["${TEAMS_TOKEN}"], users: ["${USER}", "${OTHER_USER}"], commands: [run, deploy], default_command: run, ` +
    `reply: { webhook_url: "${api.url}${WORKFLOW}" } } }`
}

async function teamsGateway (api: FakeApi, opts: Omit<TestGatewayOptions, 'callers'> = {}): Promise<PlatformGateway> {
  return platformGateway({ ...opts, callers: callerYaml(api) })
}

const NAMES: Record<string, string> = { [USER]: 'Ana Lima', [OTHER_USER]: 'Bo Chen', [STRANGER]: 'Eve' }

function escapeHtml (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** A channel message mentioning the webhook, as Teams sends it: HTML text with the mention first. */
function activity (text: string, opts: { user?: string, id?: string } = {}): Record<string, unknown> {
  const id = opts.id ?? String(1_732_190_000_000 + Math.floor(Math.random() * 1e9))
  const user = opts.user ?? USER
  return {
    type: 'message',
    id,
    timestamp: new Date().toISOString(),
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    channelId: 'msteams',
    from: { id: user, name: NAMES[user], aadObjectId: '6b4f3e2d-1c0b-4a9f-8e7d-6c5b4a3f2e1d' },
    conversation: { isGroup: true, id: `${CHANNEL};messageid=${id}`, name: null, conversationType: 'channel', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' },
    recipient: null,
    textFormat: 'plain',
    locale: 'en-US',
    text: `<at>Agent</at>&nbsp;${escapeHtml(text).replace(/ /g, (s, i: number) => i % 2 === 0 ? '&nbsp;' : s)}`,
    entities: [{ type: 'mention', text: '<at>Agent</at>', mentioned: { id: '28:c9e8c047-2a74-40a2-b28a-b162d5f5327c', name: 'Agent' } }],
    channelData: { teamsChannelId: CHANNEL, tenant: { id: '72f988bf-86f1-41af-91ab-2d7cd011db47' } }
  }
}

function send (gw: PlatformGateway, payload: unknown): Promise<PlatformAnswer> {
  const { body, headers } = teamsRequest(payload)
  return gw.post('/v1/hooks/team', body, headers)
}

/** The answer activity's text, after checking it is one within Teams' 5 s. */
function answerText (answer: PlatformAnswer): string {
  expect(answer.status).toBe(200)
  expect(answer.headers['content-type']).toMatch(/^application\/json/)
  expect(answer.ms).toBeLessThan(5000)
  const body = JSON.parse(answer.text) as { type: string, text: string }
  expect(Object.keys(body).sort()).toEqual(['text', 'type'])
  expect(body.type).toBe('message')
  return body.text
}

/** The texts of a Workflows post (one Adaptive Card), after checking its shape. */
function cardBlocks (req: RecordedRequest): string[] {
  expect(req.method).toBe('POST')
  expect(req.url).toBe(WORKFLOW)
  expect(req.headers['content-type']).toMatch(/^application\/json/)
  expect(req.headers.authorization).toBeUndefined()
  expect(Buffer.byteLength(req.body)).toBeLessThanOrEqual(28 * 1024)
  const msg = req.json as { type: string, attachments: Array<{ contentType: string, contentUrl: null, content: { type: string, version: string, body: Array<{ type: string, text: string, wrap: boolean }> } }> }
  expect(msg.type).toBe('message')
  expect(msg.attachments).toHaveLength(1)
  expect(msg.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive')
  expect(msg.attachments[0]!.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' })
  return msg.attachments[0]!.content.body.map((b) => {
    expect(b).toMatchObject({ type: 'TextBlock', wrap: true })
    return b.text
  })
}

function echoedPrompt (text: string): string {
  return (JSON.parse(text) as { prompt: string }).prompt
}

async function until (done: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}

describe('teams end to end: results', () => {
  it('a run that finishes inside the window is the answer activity; nothing is posted to the workflow', async () => {
    const api = await startFakeApi(ACCEPTED)
    const gw = await teamsGateway(api)

    const answer = await send(gw, activity('why does npm test fail when a < b && c > "d"?'))
    const text = answerText(answer)
    // Mention gone, entities decoded: the agent got what the user typed, and its output is the answer.
    expect(echoedPrompt(text)).toBe('why does npm test fail when a < b && c > "d"?')
    expect(answer.ms).toBeLessThan(3500)

    const [run] = acceptedRuns(gw)
    const delivered = await auditOf(gw, { event: 'delivery', run, status: 'delivered' })
    expect(delivered).toMatchObject({ caller: 'team', user: USER, channel: 'reply', attempts: 1, reason: 'in the webhook answer' })
    expect(gw.audit()[0]).toMatchObject({ event: 'request', caller: 'team' })
    expect(gw.audit().find((r) => r.event === 'accepted')).toMatchObject({ user: USER, command: 'run' })
    expect(runEvents(gw, run!)).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])
    await sleep(400)
    expect(api.requests).toEqual([])
  })

  it('a slow run: "working on it" inside the window, then the result as a card naming who asked', async () => {
    const api = await startFakeApi(ACCEPTED)
    // slow: about 5 s, past the 3.5 s window.
    const gw = await teamsGateway(api, { env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '260' } })

    const answer = await send(gw, activity('take your time'))
    console.log(`teams slow run: "working on it" after ${Math.round(answer.ms)} ms`)
    const run = WORKING.exec(answerText(answer))?.[1]
    expect(run).toBe(acceptedRuns(gw)[0])
    expect(answer.ms).toBeGreaterThan(3000)
    expect(api.requests).toEqual([])

    const [post] = await api.waitFor(1, { timeoutMs: 6000 })
    const [forWhom, text, ...more] = cardBlocks(post!)
    expect(forWhom).toBe('For Ana Lima:')
    expect(echoedPrompt(text!)).toBe('take your time')
    expect(more).toEqual([])
    const delivered = await auditOf(gw, { event: 'delivery', run, status: 'delivered' })
    expect(delivered).toMatchObject({ attempts: 1 })
    expect(delivered.reason).toBeUndefined()
    expect(runEvents(gw, run!)).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])
    await sleep(200)
    expect(api.requests).toHaveLength(1)
  }, 20_000)
})

describe('teams end to end: deadlines and admission', () => {
  it('under saturation every answer comes inside Teams\' 5 s, and the refused message says the agent is busy', async () => {
    const api = await startFakeApi(ACCEPTED)
    const gw = await teamsGateway(api, { env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '3000' }, limits: '{ concurrency: 1, queue: 2 }' })

    const pending: Array<Promise<PlatformAnswer>> = []
    for (const i of [1, 2, 3, 4]) {
      pending.push(send(gw, activity(`task ${i}`)))
      await until(() => gw.audit().filter((r) => r.event === 'accepted' || r.reason === 'overloaded').length === pending.length)
    }
    const answers = await Promise.all(pending)
    console.log(`teams saturation answers (ms): ${answers.map((a) => Math.round(a.ms)).join(', ')} (deadline 5000)`)
    const texts = answers.map(answerText)
    const runs = acceptedRuns(gw)
    expect(texts.slice(0, 3).map((t) => WORKING.exec(t)?.[1])).toEqual(runs)
    expect(texts[3]).toBe(BUSY)
    expect(answers[3]!.ms).toBeLessThan(1000)
    expect(gw.audit().filter((r) => r.event === 'rejected')).toEqual([expect.objectContaining({ caller: 'team', user: USER, reason: 'overloaded' })])
    expect(gw.audit().filter((r) => r.event === 'started')).toHaveLength(1)
    expect(api.requests).toEqual([])
  }, 20_000)

  it('a redelivered activity id starts no second run, and the answer does not promise a second result', async () => {
    const api = await startFakeApi(ACCEPTED)
    const gw = await teamsGateway(api)
    const payload = activity('only once please')

    expect(echoedPrompt(answerText(await send(gw, payload)))).toBe('only once please')
    const [run] = acceptedRuns(gw)
    await auditOf(gw, { event: 'delivery', run, status: 'delivered' })
    const again = answerText(await send(gw, payload))
    expect(again).toBe(`This message was already handled: run ${run} succeeded.`)

    expect(acceptedRuns(gw)).toHaveLength(1)
    expect(gw.audit().filter((r) => r.event === 'rejected')).toEqual([expect.objectContaining({ reason: 'replayed', run, user: USER })])
    expect(gw.audit().filter((r) => r.event === 'started')).toHaveLength(1)
    await sleep(300)
    expect(api.requests).toEqual([])
  })

  it('a redelivery while the run is still going says it is being worked on', async () => {
    const api = await startFakeApi(ACCEPTED)
    const gw = await teamsGateway(api, { env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '1000' } })
    const payload = activity('long one')
    const first = send(gw, payload)
    const started = await gw.waitForAudit((r) => r.event === 'started')
    const again = await send(gw, payload)
    expect(WORKING.exec(answerText(again))?.[1]).toBe(started.run)
    expect(again.ms).toBeLessThan(1000)
    expect(acceptedRuns(gw)).toHaveLength(1)
    expect(WORKING.exec(answerText(await first))?.[1]).toBe(started.run)
  }, 15_000)

  it('a user not in users gets a polite refusal activity, audited forbidden_user, and nothing runs', async () => {
    const api = await startFakeApi(ACCEPTED)
    const gw = await teamsGateway(api)
    expect(answerText(await send(gw, activity('let me in', { user: STRANGER })))).toBe(NOT_ALLOWED)
    expect(gw.audit().filter((r) => r.event === 'rejected')).toEqual([expect.objectContaining({ caller: 'team', user: STRANGER, reason: 'forbidden_user' })])
    expect(acceptedRuns(gw)).toEqual([])
    expect(api.requests).toEqual([])
  })

  it('a wrong or missing signature, one keyed with the undecoded token, and a tampered body are 401 with the generic body', async () => {
    const api = await startFakeApi(ACCEPTED)
    const gw = await teamsGateway(api)
    const { body, headers } = teamsRequest(activity('hello'))
    // The classic bug: the token string itself used as the key.
    const undecoded = 'HMAC ' + createHmac('sha256', TEAMS_TOKEN).update(body).digest('base64')

    const answers = [
      await gw.post('/v1/hooks/team', body, { ...headers, authorization: 'HMAC ' + randomBytes(32).toString('base64') }),
      await gw.post('/v1/hooks/team', body, { ...headers, authorization: undecoded }),
      await gw.post('/v1/hooks/team', body.replace('hello', 'rm -rf /'), headers),
      await gw.post('/v1/hooks/team', body, { 'content-type': 'application/json' })
    ]
    for (const a of answers) {
      expect(a.status).toBe(401)
      expect(JSON.parse(a.text)).toEqual(GENERIC_401)
    }
    expect(gw.audit().filter((r) => r.event === 'rejected').map((r) => r.reason)).toEqual(['signature_mismatch', 'signature_mismatch', 'signature_mismatch', 'missing_signature'])
    expect(acceptedRuns(gw)).toEqual([])
    expect(api.requests).toEqual([])
  })

  it('signed but malformed payloads are 400 HOOKGATE_BAD_REQUEST, audited invalid_payload, and nothing runs', async () => {
    const api = await startFakeApi(ACCEPTED)
    const gw = await teamsGateway(api)
    const good = activity('x')
    const cases: Array<[string, string]> = [
      ['{"type": "message", "id": ', 'invalid_json'],
      [JSON.stringify([good]), 'bad_type'],
      [JSON.stringify({ ...good, id: undefined }), 'bad_id'],
      [JSON.stringify({ ...good, from: { name: 'Ana Lima' } }), 'bad_from'],
      [JSON.stringify({ ...good, conversation: null }), 'bad_conversation'],
      [JSON.stringify({ ...good, text: ['x'] }), 'bad_text']
    ]
    for (const [raw, reason] of cases) {
      // Signed exactly as Teams signs: these pass verification.
      const mac = createHmac('sha256', Buffer.from(TEAMS_TOKEN, 'base64')).update(Buffer.from(raw, 'utf8')).digest('base64')
      const answer = await gw.post('/v1/hooks/team', raw, { 'content-type': 'application/json', authorization: `HMAC ${mac}` })
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.text)).toMatchObject({ statusCode: 400, code: 'HOOKGATE_BAD_REQUEST' })
      expect(JSON.parse(answer.text).message).toContain(reason)
      expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected', caller: 'team', reason: `invalid_payload: ${reason}` })
    }
    // Not a message (a member was added): acknowledged with an empty 200, nothing runs.
    const update = await send(gw, { ...good, type: 'conversationUpdate', membersAdded: [{ id: OTHER_USER }] })
    expect(update.status).toBe(200)
    expect(update.text).toBe('')
    expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected', reason: 'ignored: not_a_message' })
    expect(acceptedRuns(gw)).toEqual([])
    expect(api.requests).toEqual([])
  })
})

describe('teams end to end: built-ins from the chat', () => {
  it('/help (also a bare mention) and /status answer in the activity and start nothing', async () => {
    const api = await startFakeApi(ACCEPTED)
    const gw = await teamsGateway(api)

    const help = answerText(await send(gw, activity('/help')))
    expect(help).toContain('/run — Ask the agent')
    expect(help).toContain('/deploy')
    expect(help).toContain('/cancel [run-id]')
    expect(answerText(await send(gw, activity('')))).toBe(help)
    expect(answerText(await send(gw, activity('/status')))).toBe('No active runs.')
    expect(acceptedRuns(gw)).toEqual([])
    expect(api.requests).toEqual([])
  })

  it('/status lists a running run and /cancel stops it after the window; the posted result says it was cancelled', async () => {
    const api = await startFakeApi(ACCEPTED)
    const gw = await teamsGateway(api, { env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '1000' } })

    const job = answerText(await send(gw, activity('a long job')))
    const run = WORKING.exec(job)?.[1]
    expect(run).toBe(acceptedRuns(gw)[0])
    expect(answerText(await send(gw, activity('/status')))).toMatch(new RegExp(`^${run} running /run since \\d{4}-`))
    expect(answerText(await send(gw, activity('/cancel', { user: OTHER_USER })))).toBe('No active run to cancel.')
    expect(answerText(await send(gw, activity(`/cancel ${run}`)))).toBe(`Cancelling ${run}.`)

    const [post] = await api.waitFor(1)
    expect(cardBlocks(post!)).toEqual(['For Ana Lima:', expect.stringMatching(/^⛔ Cancelled/)])
    await auditOf(gw, { event: 'delivery', run, status: 'delivered' })
    expect(runEvents(gw, run!)).toEqual(['accepted', 'started', 'cancelled', 'delivery:delivered'])
    expect(answerText(await send(gw, activity('/status')))).toBe('No active runs.')
  }, 15_000)

  it('/deploy production asks for /confirm CODE; the code is the user\'s own, and confirming answers with the result', async () => {
    const api = await startFakeApi(ACCEPTED)
    const gw = await teamsGateway(api)

    const ask = answerText(await send(gw, activity('/deploy production')))
    expect(ask).toMatch(/^\/deploy production needs confirmation: send \/confirm [A-Z0-9]+ within 5 minutes\.$/)
    const code = /\/confirm ([A-Z0-9]+)/.exec(ask)![1]!
    expect(acceptedRuns(gw)).toEqual([])
    expect(answerText(await send(gw, activity(`/confirm ${code}`, { user: OTHER_USER })))).toMatch(/^Refused by policy: confirm/)
    expect(acceptedRuns(gw)).toEqual([])

    expect(echoedPrompt(answerText(await send(gw, activity(`/confirm ${code}`))))).toBe('Deploy to production.')
    const [run] = acceptedRuns(gw)
    expect(gw.audit().find((r) => r.event === 'accepted')).toMatchObject({ command: 'deploy', user: USER })
    await auditOf(gw, { event: 'delivery', run, status: 'delivered', reason: 'in the webhook answer' })
    expect(api.requests).toEqual([])
  })
})

describe('teams end to end: delivery faults', () => {
  it('429 then 202, 429s past the client, 500 for ever, and a hung workflow: retried, posted once or failed, audited', async () => {
    const tooMany = { status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 'WorkflowTriggeredTooManyRequests' } } }
    const api = await startFakeApi(ACCEPTED)
    const seen: Record<string, number> = {}
    const jobOf = (r: RecordedRequest): string => /"prompt":"job for (\w+)"/.exec(cardBlocks(r).at(-1) ?? '')?.[1] ?? ''
    api.route('/workflows/', (r) => {
      const job = jobOf(r)
      const n = seen[job] = (seen[job] ?? 0) + 1
      if (job === 'once' && n === 1) return tooMany
      if (job === 'throttled' && n <= 3) return tooMany
      if (job === 'down') return { status: 500, body: { error: { code: 'InternalServerError' } } }
      if (job === 'hung' && n === 1) return { ...ACCEPTED, delayMs: 3000 }
      return undefined
    })
    const calls = (job: string): RecordedRequest[] => api.requests.filter((r) => jobOf(r) === job)
    const host = new URL(api.url).host
    const gw = await teamsGateway(api, {
      env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '230' },
      limits: '{ concurrency: 4 }',
      deps: { outbound: createHttpOutbound({ timeoutMs: 500, backoffMs: 50 }) }
    })
    const answers = await Promise.all(['once', 'throttled', 'down', 'hung'].map((job) => send(gw, activity(`job for ${job}`))))
    for (const a of answers) expect(answerText(a)).toMatch(WORKING)

    const once = runFor(gw, 'job for once')
    await auditOf(gw, { event: 'delivery', run: once, status: 'delivered' }, 10_000)
    expect(calls('once')).toHaveLength(2)
    expect(calls('once')[1]!.at - calls('once')[0]!.at).toBeGreaterThanOrEqual(950)
    expect(runEvents(gw, once)).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])

    const throttled = runFor(gw, 'job for throttled')
    await auditOf(gw, { event: 'delivery', run: throttled, status: 'delivered' }, 10_000)
    expect(runEvents(gw, throttled)).toEqual(['accepted', 'started', 'finished', 'delivery:retrying', 'delivery:delivered'])
    expect(gw.audit().find((r) => r.run === throttled && r.status === 'retrying')).toMatchObject({ attempts: 1, reason: `${host}: answered 429` })
    expect(calls('throttled')).toHaveLength(4)

    const hung = runFor(gw, 'job for hung')
    await auditOf(gw, { event: 'delivery', run: hung, status: 'delivered' }, 10_000)
    expect(calls('hung')).toHaveLength(2)
    expect(calls('hung')[1]!.at - calls('hung')[0]!.at).toBeLessThan(2500)

    const down = runFor(gw, 'job for down')
    const failed = await auditOf(gw, { event: 'delivery', run: down, status: 'failed' }, 15_000)
    expect(failed).toMatchObject({ channel: 'reply', attempts: 4, reason: `${host}: answered 500` })
    expect(runEvents(gw, down)).toEqual(['accepted', 'started', 'finished', 'delivery:retrying', 'delivery:retrying', 'delivery:retrying', 'delivery:failed'])
    // No secret in the audit: the workflow URL's sig is never named.
    expect(JSON.stringify(gw.audit())).not.toContain('sig=')
    const tried = calls('down').length
    expect(answerText(await send(gw, activity('/status')))).toBe('No active runs.')
    await sleep(400)
    expect(calls('down')).toHaveLength(tried)
  }, 30_000)
})

describe('teams end to end: long output', () => {
  const SCRIPT = [
    "const m = /^lines (\\d+)(?: after (\\d+))?$/.exec(process.argv[1] ?? '')",
    "if (m === null) { console.error('usage: lines N [after MS]'); process.exit(2) }",
    "setTimeout(() => { let out = ''; for (let i = 1; i <= Number(m[1]); i++) out += 'line ' + String(i).padStart(4, '0') + ': ' + 'the quick brown fox jumps over the lazy dog '.repeat(2).slice(0, 40 + (i * 7) % 40) + '.\\n'; process.stdout.write(out) }, Number(m[2] ?? 0))"
  ].join('\n')
  const AGENT = JSON.stringify({ profile: 'command', argv: [process.execPath, '-e', SCRIPT, '{prompt}'], timeout: 20, kill_grace: 1 })
  const PUBLIC = 'http://127.0.0.1:9'

  function expectedLines (n: number): string[] {
    const out: string[] = []
    for (let i = 1; i <= n; i++) out.push('line ' + String(i).padStart(4, '0') + ': ' + 'the quick brown fox jumps over the lazy dog '.repeat(2).slice(0, 40 + (i * 7) % 40) + '.')
    return out
  }

  /** Checks three parts (≤ 12,000 code points, markers, whole lines in order, the note last); returns the link. */
  function checkSplit (parts: string[], lines: string[]): string {
    expect(parts).toHaveLength(3)
    let next = 0
    let link = ''
    for (const [i, part] of parts.entries()) {
      expect([...part].length).toBeLessThanOrEqual(12_000)
      const marker = `(${i + 1}/3)`
      expect(part.endsWith('\n' + marker)).toBe(true)
      let body = part.slice(0, -marker.length - 1)
      if (i === 2) {
        const note = /\n✂ ([\d,]+) more characters \(([\d,]+) lines\) not shown\.\nFull result: (.+)$/.exec(body)
        expect(note).not.toBeNull()
        body = body.slice(0, note!.index)
        const shown = next + body.replace(/\n$/, '').split('\n').length
        expect(note![2]).toBe(String(lines.length - shown))
        link = note![3]!
      }
      for (const line of body.replace(/\n$/, '').split('\n')) expect(line).toBe(lines[next++])
    }
    return link
  }

  async function checkLink (gw: PlatformGateway, link: string, run: string, lines: string[]): Promise<void> {
    expect(link).toMatch(new RegExp(`^${PUBLIC}/v1/runs/${run}\\?token=lnk_[A-Za-z0-9_-]+$`))
    const { pathname, search } = new URL(link)
    const read = await gw.app.inject({ method: 'GET', url: pathname + search })
    expect(read.statusCode).toBe(200)
    expect(read.json()).toMatchObject({ id: run, status: 'succeeded', output: lines.join('\n') + '\n' })
    expect((await gw.app.inject({ method: 'POST', url: `${pathname}/cancel${search}` })).statusCode).toBe(401)
  }

  it('a long result inside the window: the first part answers, the rest is posted as cards; the note links to the run', async () => {
    const api = await startFakeApi(ACCEPTED)
    const gw = await teamsGateway(api, { agent: AGENT, server: `{ public_url: "${PUBLIC}" }` })
    const lines = expectedLines(700)

    const answer = answerText(await send(gw, activity('lines 700')))
    const [run] = acceptedRuns(gw)
    const continued = `\n\n(continued in this channel: run ${run})`
    expect(answer.endsWith(continued)).toBe(true)
    expect(Buffer.byteLength(answer)).toBeLessThan(20 * 1024)
    const posts = await api.waitFor(2)
    await auditOf(gw, { event: 'delivery', run, status: 'delivered' })
    const rest = posts.map((p) => cardBlocks(p))
    // The continuation is a new channel post: it says whom it answers. (Needs the delivery service
    // to record how many parts the answer carried, `progress.answered`, which deliverTeams reads.)
    expect(rest[0]![0], 'the first card posted after a partial answer names who asked').toBe('For Ana Lima:')
    expect(rest[1]).toHaveLength(1)
    const link = checkSplit([answer.slice(0, -continued.length), rest[0]!.at(-1)!, rest[1]![0]!], lines)
    await checkLink(gw, link, run!, lines)
    await sleep(200)
    expect(api.requests).toHaveLength(2)
  })

  it('a long result past the window: three cards, the first naming who asked, the last linking to the run', async () => {
    const api = await startFakeApi(ACCEPTED)
    const gw = await teamsGateway(api, { agent: AGENT, server: `{ public_url: "${PUBLIC}" }` })
    const lines = expectedLines(700)

    expect(answerText(await send(gw, activity('lines 700 after 3800')))).toMatch(WORKING)
    const posts = await api.waitFor(3, { timeoutMs: 5000 })
    const blocks = posts.map((p) => cardBlocks(p))
    expect(blocks.map((b) => b.length)).toEqual([2, 1, 1])
    expect(blocks[0]![0]).toBe('For Ana Lima:')
    const [run] = acceptedRuns(gw)
    const link = checkSplit(blocks.map((b) => b.at(-1)!), lines)
    await checkLink(gw, link, run!, lines)
    expect(await auditOf(gw, { event: 'delivery', run, status: 'delivered' })).toMatchObject({ attempts: 1 })
  }, 15_000)
})
