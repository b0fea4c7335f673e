// Slack through a real gateway: signed slash commands and Events API callbacks over TCP, the fake
// `claude` agent, and the result delivered to a fake Slack (response_url and chat.postMessage).
import { createHmac, randomBytes } from 'node:crypto'
import { isValidSlackRequest } from '@slack/bolt'
import { describe, expect, it } from 'vitest'
import { platformGateway, type PlatformGateway } from '../../helpers/platform-gateway.ts'
import { SLACK_SECRET } from '../../helpers/platform-sign.ts'
import { startFakeApi, type FakeApi, type RecordedRequest } from '../../helpers/fake-api.ts'
import { sleep } from '../../helpers/audit-queries.ts'

const HOOK = '/v1/hooks/slack'
const FORM = 'application/x-www-form-urlencoded'
const JSON_TYPE = 'application/json'
const BOT = 'UBOT01'
const LIMIT = 3900

type Audit = Record<string, unknown>

/**
 * Signed like Slack signs, checked with @slack/bolt. The same as the shared helper's slackRequest,
 * which reaches bolt through its default export: under vitest that is bolt's `App` class, so its
 * `isValidSlackRequest` is undefined there; the named export works under Node and vitest alike.
 */
function slackRequest (body: string, contentType: string, nowSeconds = Math.floor(Date.now() / 1000)): { body: string, headers: Record<string, string> } {
  const signature = 'v0=' + createHmac('sha256', SLACK_SECRET).update(`v0:${nowSeconds}:${body}`).digest('hex')
  if (!isValidSlackRequest({ signingSecret: SLACK_SECRET, body, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': nowSeconds }, nowMilliseconds: nowSeconds * 1000 })) {
    throw new Error('@slack/bolt rejects the test signature')
  }
  return { body, headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(nowSeconds), 'x-slack-signature': signature } }
}

function callers (api: string): string {
  return `{ slack: { scheme: slack, secrets: [${SLACK_SECRET}], users: [U1], commands: [run, deploy], default_command: run, reply: { token: xoxb-t, api_base: "${api}" } } }`
}

async function setup (opts: { env?: Record<string, string>, limits?: string, server?: string } = {}): Promise<{ gw: PlatformGateway, api: FakeApi }> {
  const api = await startFakeApi()
  const gw = await platformGateway({ callers: callers(api.url), env: opts.env ?? {}, ...(opts.limits !== undefined ? { limits: opts.limits } : {}), ...(opts.server !== undefined ? { server: opts.server } : {}) })
  return { gw, api }
}

let seq = 0
const unique = () => `${Date.now()}${++seq}${randomBytes(3).toString('hex')}`

/** The form body of a slash command, as Slack sends it. */
function slashBody (api: FakeApi, fields: Record<string, string> = {}): string {
  const id = unique()
  return new URLSearchParams({
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: 'C2147483705',
    channel_name: 'dev',
    user_id: 'U1',
    user_name: 'alice',
    command: '/agent',
    text: '',
    api_app_id: 'A0KRD7HC3',
    is_enterprise_install: 'false',
    response_url: `${api.url}/commands/T0001/${id}/resp`,
    trigger_id: `13345224609.738474920.${id}`,
    ...fields
  }).toString()
}

async function slash (gw: PlatformGateway, api: FakeApi, fields: Record<string, string> = {}) {
  const body = slashBody(api, fields)
  const signed = slackRequest(body, FORM)
  const answer = await gw.post(HOOK, signed.body, signed.headers)
  return { ...answer, body, form: new URLSearchParams(body), signed }
}

/** An Events API callback for an app_mention (or a DM with `channel_type: im`). */
function eventBody (event: Record<string, unknown>, eventId = `Ev${unique()}`): string {
  return JSON.stringify({
    token: 'XXYYZZ',
    team_id: 'T0001',
    api_app_id: 'A0KRD7HC3',
    event: { type: 'app_mention', user: 'U1', channel: 'C2147483705', ts: '1763719300.000200', event_ts: '1763719300.000200', ...event },
    type: 'event_callback',
    event_id: eventId,
    event_time: 1763719300,
    authorizations: [{ enterprise_id: null, team_id: 'T0001', user_id: BOT, is_bot: true, is_enterprise_install: false }]
  })
}

async function mention (gw: PlatformGateway, text: string, event: Record<string, unknown> = {}, eventId?: string) {
  const body = eventBody({ text: `<@${BOT}> ${text}`, ...event }, eventId)
  const signed = slackRequest(body, JSON_TYPE)
  const answer = await gw.post(HOOK, signed.body, signed.headers)
  return { ...answer, body, eventId: (JSON.parse(body) as { event_id: string }).event_id }
}

function json (text: string): any {
  return JSON.parse(text)
}

/** The run id in a slash command's "Working on it" answer. */
function runIdOf (answerText: string): string {
  const m = /\(run (run_[A-Za-z0-9_-]+)\)/.exec(json(answerText).text as string)
  expect(m, answerText).not.toBeNull()
  return m![1]!
}

/** Slack escapes only &, < and >: undoing that gives the text we meant. */
function unescapeSlack (text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (_all, name: string) => ({ amp: '&', lt: '<', gt: '>' })[name]!)
}

function delivered (gw: PlatformGateway, run: string, timeoutMs?: number) {
  return gw.waitForAudit((r) => r.event === 'delivery' && r.run === run && r.channel === 'reply' && (r.status === 'delivered' || r.status === 'failed'), timeoutMs)
}

function forRun (gw: PlatformGateway, run: string): Audit[] {
  return gw.audit().filter((r) => r.run === run)
}

function accepted (gw: PlatformGateway): Audit[] {
  return gw.audit().filter((r) => r.event === 'accepted')
}

const codePoints = (s: string) => [...s].length

function responseUrlPosts (api: FakeApi): RecordedRequest[] {
  return api.requests.filter((r) => r.url.startsWith('/commands/'))
}

function chatPosts (api: FakeApi): RecordedRequest[] {
  return api.requests.filter((r) => r.url === '/chat.postMessage')
}

describe('slack slash commands end to end', () => {
  it('acknowledges ephemerally, runs the agent and posts the result to response_url', async () => {
    const { gw, api } = await setup()
    const a = await slash(gw, api, { text: 'explain the retry logic' })
    expect(a.status).toBe(200)
    expect(a.headers['content-type']).toMatch(/^application\/json/)
    const ack = json(a.text)
    expect(ack).toEqual({ response_type: 'ephemeral', text: expect.stringMatching(/^Working on it… \(run run_\S+\)$/) })
    const run = runIdOf(a.text)

    const outcome = await delivered(gw, run)
    expect(outcome).toMatchObject({ status: 'delivered', attempts: 1, caller: 'slack', user: 'U1' })
    const posts = responseUrlPosts(api)
    expect(posts).toHaveLength(1)
    const post = posts[0]!
    expect(post.method).toBe('POST')
    expect(post.url).toBe(new URL(a.form.get('response_url')!).pathname)
    expect(post.headers['content-type']).toMatch(/^application\/json/)
    // The response_url is the credential: no bot token is sent to it.
    expect(post.headers.authorization).toBeUndefined()
    const sent = post.json as { response_type: string, text: string, replace_original: boolean }
    expect(sent.response_type).toBe('ephemeral')
    expect(sent.replace_original).toBe(false)
    expect(json(unescapeSlack(sent.text))).toMatchObject({ prompt: 'explain the retry logic', prompt_source: 'stream-json' })
    expect(chatPosts(api)).toHaveLength(0)

    const trail = forRun(gw, run).map((r) => r.event === 'delivery' ? `delivery:${String(r.status)}` : r.event)
    expect(trail).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])
    expect(forRun(gw, run).find((r) => r.event === 'finished')).toMatchObject({ status: 'succeeded', user: 'U1', caller: 'slack' })
    expect(gw.audit().filter((r) => r.event === 'request' && r.caller === 'slack')).toHaveLength(1)
  })

  it('answers every request of a saturated gateway inside 3 s and refuses the fourth politely', async () => {
    const { gw, api } = await setup({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '3000' }, limits: '{ concurrency: 1, queue: 2 }' })
    const answers = await Promise.all([1, 2, 3, 4].map(async (i) => slash(gw, api, { text: `job ${i}` })))
    console.log(`slack slash command answers under saturation (ms): ${answers.map((a) => a.ms.toFixed(0)).join(', ')}`)
    for (const a of answers) {
      expect(a.status).toBe(200)
      expect(a.ms).toBeLessThanOrEqual(3000)
    }
    const texts = answers.map((a) => json(a.text) as { response_type: string, text: string })
    const working = texts.filter((t) => t.text.startsWith('Working on it'))
    const busy = texts.filter((t) => !t.text.startsWith('Working on it'))
    expect(working).toHaveLength(3)
    expect(busy).toEqual([{ response_type: 'ephemeral', text: 'The agent is busy with other work right now; try again in a minute.' }])
    expect(accepted(gw)).toHaveLength(3)
    expect(gw.audit().filter((r) => r.event === 'rejected' && r.reason === 'overloaded')).toHaveLength(1)
    await gw.waitForAudit((r) => r.event === 'started')
    expect(gw.audit().filter((r) => r.event === 'started')).toHaveLength(1)
    // Closing the gateway stops the slow agent (it would take a minute otherwise).
    await gw.close()
  })

  it('never runs an exact redelivery twice', async () => {
    const { gw, api } = await setup()
    const a = await slash(gw, api, { text: 'once only' })
    const run = runIdOf(a.text)
    const again = await gw.post(HOOK, a.signed.body, a.signed.headers)
    expect(again.status).toBe(200)
    expect(runIdOf(again.text)).toBe(run)
    await delivered(gw, run)
    await sleep(300)
    expect(accepted(gw)).toHaveLength(1)
    expect(gw.audit().filter((r) => r.event === 'rejected' && r.reason === 'replayed' && r.run === run)).toHaveLength(1)
    expect(responseUrlPosts(api)).toHaveLength(1)
  })

  it('refuses a user who is not in users, politely and without a run', async () => {
    const { gw, api } = await setup()
    const a = await slash(gw, api, { user_id: 'U999', text: 'let me in' })
    expect(a.status).toBe(200)
    expect(json(a.text)).toEqual({ response_type: 'ephemeral', text: 'Sorry, you are not allowed to use this bot. Ask its owner to add your user id.' })
    expect(gw.audit().find((r) => r.event === 'rejected')).toMatchObject({ caller: 'slack', user: 'U999', reason: 'forbidden_user' })
    await sleep(300)
    expect(accepted(gw)).toHaveLength(0)
    expect(api.requests).toHaveLength(0)
  })

  it('answers the same 401 to a wrong signature, a stale or future timestamp and an unknown caller', async () => {
    const { gw, api } = await setup()
    const body = slashBody(api, { text: 'hello' })
    const unknown = await gw.post('/v1/hooks/nobody', body, slackRequest(body, FORM).headers)
    expect(unknown.status).toBe(401)
    const generic = json(unknown.text)
    expect(generic).toMatchObject({ statusCode: 401, code: 'HOOKGATE_UNAUTHORIZED' })

    const good = slackRequest(body, FORM)
    const wrong = { ...good.headers, 'x-slack-signature': good.headers['x-slack-signature']!.replace(/.$/, (c) => c === '0' ? '1' : '0') }
    const now = Math.floor(Date.now() / 1000)
    const cases: Array<[string, Record<string, string>, string]> = [
      ['signature_mismatch', wrong, body],
      ['signature over another body', good.headers, body.replace('hello', 'hellp')],
      ['timestamp_out_of_window', slackRequest(body, FORM, now - 301).headers, body],
      ['timestamp_out_of_window', slackRequest(body, FORM, now + 301).headers, body]
    ]
    for (const [why, headers, sent] of cases) {
      const a = await gw.post(HOOK, sent, headers)
      expect(a.status, why).toBe(401)
      expect(json(a.text), why).toEqual(generic)
    }
    const reasons = gw.audit().filter((r) => r.event === 'rejected' && r.caller === 'slack').map((r) => r.reason)
    expect(reasons).toEqual(['signature_mismatch', 'signature_mismatch', 'timestamp_out_of_window', 'timestamp_out_of_window'])
    // Just inside the window is fine.
    const inside = await gw.post(HOOK, body, slackRequest(body, FORM, now - 290).headers)
    expect(inside.status).toBe(200)
    await delivered(gw, runIdOf(inside.text))
    expect(accepted(gw)).toHaveLength(1)
  })

  it('runs the built-ins: /help as text, /status as its own command, /cancel of a running run', async () => {
    const { gw, api } = await setup({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '500' } })
    const help = await slash(gw, api, { text: '/help' })
    expect(help.status).toBe(200)
    const helpText = json(help.text) as { response_type: string, text: string }
    expect(helpText.response_type).toBe('ephemeral')
    expect(helpText.text).toContain('/run — Ask the agent')
    expect(helpText.text).toContain('/deploy')
    expect(helpText.text).toContain('/status — your active runs')
    // A bare catch-all command asks for help too.
    expect(json((await slash(gw, api, { text: '' })).text).text).toBe(helpText.text)

    const status = await slash(gw, api, { command: '/status' })
    expect(json(status.text)).toEqual({ response_type: 'ephemeral', text: 'No active runs.' })

    const started = await slash(gw, api, { text: 'take your time' })
    const run = runIdOf(started.text)
    await gw.waitForAudit((r) => r.event === 'started' && r.run === run)
    const busy = await slash(gw, api, { command: '/status' })
    expect(json(busy.text).text).toMatch(new RegExp(`^${run} running /run since \\S+$`))

    const cancel = await slash(gw, api, { text: '/cancel' })
    expect(json(cancel.text)).toEqual({ response_type: 'ephemeral', text: `Cancelling ${run}.` })
    await gw.waitForAudit((r) => r.event === 'cancelled' && r.run === run)
    expect(await delivered(gw, run)).toMatchObject({ status: 'delivered' })
    const posts = responseUrlPosts(api)
    expect(posts).toHaveLength(1)
    expect(posts[0]!.url).toBe(new URL(started.form.get('response_url')!).pathname)
    expect((posts[0]!.json as { text: string }).text).toMatch(/^⛔ Cancelled/)
    expect(accepted(gw)).toHaveLength(1)
  })

  it('asks for confirmation of /deploy production and runs it on /confirm CODE', async () => {
    const { gw, api } = await setup()
    const ask = await slash(gw, api, { command: '/deploy', text: 'production' })
    const prompt = json(ask.text) as { response_type: string, text: string }
    expect(prompt.response_type).toBe('ephemeral')
    const m = /^\/deploy production needs confirmation: send \/confirm (\S+) within 5 minutes\.$/.exec(prompt.text)
    expect(m, prompt.text).not.toBeNull()
    expect(accepted(gw)).toHaveLength(0)

    // Another user cannot confirm it, and nothing runs.
    const other = await slash(gw, api, { text: `/confirm ${m![1]}`, user_id: 'U999' })
    expect(json(other.text).text).toMatch(/not allowed/)

    const confirm = await slash(gw, api, { text: `/confirm ${m![1]}` })
    const run = runIdOf(confirm.text)
    await delivered(gw, run)
    const posts = responseUrlPosts(api)
    expect(posts).toHaveLength(1)
    expect(posts[0]!.url).toBe(new URL(confirm.form.get('response_url')!).pathname)
    expect(json(unescapeSlack((posts[0]!.json as { text: string }).text))).toMatchObject({ prompt: 'Deploy to production.' })
    expect(forRun(gw, run).find((r) => r.event === 'accepted')).toMatchObject({ command: 'deploy', user: 'U1' })

    // A code works once.
    const reuse = await slash(gw, api, { text: `/confirm ${m![1]}` })
    expect(json(reuse.text).text).toMatch(/confirm/)
    expect(json(reuse.text).text).not.toMatch(/^Working on it/)
    expect(accepted(gw)).toHaveLength(1)
  })

  it('refuses what the policy blocks, politely and without a run', async () => {
    const { gw, api } = await setup()
    const blocked = await slash(gw, api, { text: 'please rm -rf / now' })
    expect(blocked.status).toBe(200)
    expect(json(blocked.text)).toEqual({ response_type: 'ephemeral', text: expect.stringMatching(/^Refused by policy: .+\. Send \/help to see what you can ask\.$/) })
    const unknown = await slash(gw, api, { text: '/git status' })
    expect(json(unknown.text).text).toMatch(/not allowed.*Send \/help/)
    expect(gw.audit().filter((r) => r.event === 'rejected').map((r) => r.reason)).toEqual([expect.stringMatching(/^policy: /), expect.stringMatching(/^policy: /)])
    await sleep(300)
    expect(accepted(gw)).toHaveLength(0)
    expect(api.requests).toHaveLength(0)
  })

  it('takes a response_url that answers 404 (expired) as final after one attempt', async () => {
    const { gw, api } = await setup()
    api.enqueue({ status: 404, body: 'expired_url' })
    const a = await slash(gw, api, { text: 'too late' })
    const run = runIdOf(a.text)
    expect(await delivered(gw, run)).toMatchObject({ status: 'failed', attempts: 1, reason: 'slack: response_url expired or used up (answered 404)' })
    await sleep(300)
    expect(responseUrlPosts(api)).toHaveLength(1)
  })

  it('retries a 429 from response_url and delivers the result exactly once', async () => {
    const { gw, api } = await setup()
    // The outbound client retries a 429 three times itself; the fourth answer comes after the
    // delivery service has recorded the failed attempt and waited for Retry-After.
    const limited = { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'rate_limited' } }
    api.enqueue(limited, limited, limited)
    const a = await slash(gw, api, { text: 'rate limited' })
    const run = runIdOf(a.text)
    expect(await delivered(gw, run, 15_000)).toMatchObject({ status: 'delivered', attempts: 2 })
    await sleep(300)
    const posts = responseUrlPosts(api)
    expect(posts).toHaveLength(4)
    // Every attempt carried the same message; only the last one was taken.
    expect(new Set(posts.map((p) => p.body)).size).toBe(1)
    for (let i = 1; i < posts.length; i++) expect(posts[i]!.at - posts[i - 1]!.at).toBeGreaterThanOrEqual(950)
    const trail = forRun(gw, run).filter((r) => r.event === 'delivery').map((r) => [r.status, r.attempts])
    expect(trail).toEqual([['retrying', 1], ['delivered', 2]])
  })

  it('gives up on a response_url that fails every time, and keeps working', async () => {
    const { gw, api } = await setup()
    api.route('/commands/', (req) => req.url.includes('/broken/') ? { status: 500, body: 'oops' } : undefined)
    const a = await slash(gw, api, { text: 'doomed', response_url: `${api.url}/commands/T0001/broken/resp` })
    const run = runIdOf(a.text)
    expect(await delivered(gw, run, 20_000)).toMatchObject({ status: 'failed', attempts: 4, reason: expect.stringMatching(/answered 500/) })
    const trail = forRun(gw, run).filter((r) => r.event === 'delivery').map((r) => [r.status, r.attempts])
    expect(trail).toEqual([['retrying', 1], ['retrying', 2], ['retrying', 3], ['failed', 4]])
    const failedPosts = responseUrlPosts(api).length
    await sleep(400)
    expect(responseUrlPosts(api)).toHaveLength(failedPosts)

    const next = await slash(gw, api, { text: 'still there?' })
    const run2 = runIdOf(next.text)
    expect(await delivered(gw, run2)).toMatchObject({ status: 'delivered', attempts: 1 })
  })

  it('splits a long result into messages of at most 3,900 characters and links to the rest', async () => {
    const { gw, api } = await setup({ server: '{ public_url: "http://127.0.0.1:1" }' })
    const words = Array.from({ length: 1800 }, (_, i) => `word${i}`).join(' ')
    const a = await slash(gw, api, { text: words })
    const run = runIdOf(a.text)
    await delivered(gw, run)
    const posts = responseUrlPosts(api).map((p) => unescapeSlack((p.json as { text: string }).text))
    expect(posts).toHaveLength(4)
    for (const [i, text] of posts.entries()) {
      expect(codePoints(text)).toBeLessThanOrEqual(LIMIT)
      expect(text.endsWith(`(${i + 1}/4)`), text.slice(-80)).toBe(true)
    }
    // In order: the text reads on from one message to the next.
    const joined = posts.map((p) => p.replace(/\n?\(\d\/4\)$/, '')).join('')
    expect(joined.startsWith('{"prompt":"word0 word1 word2')).toBe(true)
    const positions = posts.map((p) => joined.indexOf(p.slice(0, 40)))
    expect(positions).toEqual([...positions].sort((x, y) => x - y))
    const last = posts[3]!
    const link = /Full result: (http:\/\/127\.0\.0\.1:1(\/v1\/runs\/(run_\S+))\?token=(\S+))/.exec(last)
    expect(link, last).not.toBeNull()
    expect(last).toMatch(/✂ [\d,]+ more characters \(1 line\) not shown\./)
    expect(link![3]).toBe(run)

    const read = await fetch(`${gw.url}${link![2]}?token=${link![4]}`)
    expect(read.status).toBe(200)
    const body = await read.json() as { id: string, output: string }
    expect(body.id).toBe(run)
    expect(body.output).toContain(words)
    // Read-only: the link cannot cancel, in the query or as a bearer token.
    expect((await fetch(`${gw.url}${link![2]}/cancel?token=${link![4]}`, { method: 'POST' })).status).toBe(401)
    expect((await fetch(`${gw.url}${link![2]}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${link![4]}` } })).status).toBe(401)
    // Nor read another run.
    expect((await fetch(`${gw.url}/v1/runs/run_0000000000000000000000000?token=${link![4]}`)).status).toBeGreaterThanOrEqual(401)
  })

  it('never lets agent output notify a channel', async () => {
    const { gw, api } = await setup()
    // What a user typed as text arrives entity-escaped; the agent sees it literally and echoes it.
    const a = await slash(gw, api, { text: 'say &lt;!channel&gt; and &lt;!here&gt; to &lt;@U0LEAD&gt; &amp; co' })
    const run = runIdOf(a.text)
    await delivered(gw, run)
    const text = (responseUrlPosts(api)[0]!.json as { text: string }).text
    expect(text).not.toMatch(/<!|<@/)
    expect(text).toContain('&lt;!channel&gt;')
    expect(text).toContain('&lt;!here&gt;')
    expect(json(unescapeSlack(text)).prompt).toBe('say <!channel> and <!here> to <@U0LEAD> & co')
  })

  it('refuses malformed but signed payloads with 400 and runs nothing', async () => {
    const { gw, api } = await setup()
    const form = (fields: Record<string, string>, drop: string[] = []) => {
      const p = new URLSearchParams(slashBody(api, fields))
      for (const d of drop) p.delete(d)
      return p.toString()
    }
    const cases: Array<[string, string, string]> = [
      [form({}, ['user_id']), FORM, 'bad_user_id'],
      [form({ command: 'agent' }), FORM, 'bad_command'],
      [form({}, ['trigger_id']), FORM, 'bad_trigger_id'],
      [form({}) + '&user_id=U1', FORM, 'duplicate_field'],
      ['just=some&form=fields', FORM, 'not_a_slack_payload'],
      ['{"type": "event_callback", "event_id": ', JSON_TYPE, 'invalid_json'],
      [JSON.stringify({ type: 'event_callback', event: { type: 'app_mention' } }), JSON_TYPE, 'bad_event_id'],
      [JSON.stringify({ type: 'url_verification' }), JSON_TYPE, 'bad_challenge'],
      [eventBody({ text: 'hi', ts: 'yesterday' }), JSON_TYPE, 'bad_ts'],
      [form({ response_url: 'https://evil.example/x' }), FORM, 'bad_response_url'],
      [form({ response_url: `${api.url.replace(/:\d+$/, ':1')}/commands/x` }), FORM, 'bad_response_url'],
      [form({ response_url: 'https://hooks.slack.com.evil.example/commands/x' }), FORM, 'bad_response_url']
    ]
    for (const [body, type, reason] of cases) {
      const signed = slackRequest(body, type)
      const a = await gw.post(HOOK, signed.body, signed.headers)
      expect(a.status, reason).toBe(400)
      expect(json(a.text), reason).toMatchObject({ statusCode: 400, code: 'HOOKGATE_BAD_REQUEST' })
      expect(gw.audit().at(-1), reason).toMatchObject({ event: 'rejected', caller: 'slack', reason: `invalid_payload: ${reason}` })
    }
    await sleep(300)
    expect(accepted(gw)).toHaveLength(0)
    expect(api.requests).toHaveLength(0)
  })
})

describe('slack Events API end to end', () => {
  it('echoes the url_verification challenge', async () => {
    const { gw } = await setup()
    const body = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' })
    const signed = slackRequest(body, JSON_TYPE)
    const a = await gw.post(HOOK, signed.body, signed.headers)
    expect(a.status).toBe(200)
    expect(a.headers['content-type']).toMatch(/^application\/json/)
    expect(json(a.text)).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' })
    expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected', reason: 'ignored: url_verification' })
    expect(accepted(gw)).toHaveLength(0)
  })

  it('acknowledges an app_mention empty and answers in its thread with chat.postMessage', async () => {
    const { gw, api } = await setup()
    const a = await mention(gw, 'why is CI red?', { ts: '1763719301.000300' })
    expect(a.status).toBe(200)
    expect(a.text).toBe('')
    const [acc] = accepted(gw)
    expect(acc).toMatchObject({ caller: 'slack', user: 'U1', command: 'run' })
    const run = acc!.run as string
    await delivered(gw, run)
    const posts = chatPosts(api)
    expect(posts).toHaveLength(1)
    const post = posts[0]!
    expect(post.method).toBe('POST')
    expect(post.headers.authorization).toBe('Bearer xoxb-t')
    expect(post.headers['content-type']).toBe('application/json; charset=utf-8')
    const sent = post.json as { channel: string, thread_ts: string, text: string }
    expect(Object.keys(sent).sort()).toEqual(['channel', 'text', 'thread_ts'])
    expect(sent.channel).toBe('C2147483705')
    expect(sent.thread_ts).toBe('1763719301.000300')
    // The mention of the bot is not part of the prompt.
    expect(json(unescapeSlack(sent.text))).toMatchObject({ prompt: 'why is CI red?' })
    expect(responseUrlPosts(api)).toHaveLength(0)
    const trail = forRun(gw, run).map((r) => r.event === 'delivery' ? `delivery:${String(r.status)}` : r.event)
    expect(trail).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])
  })

  it('answers in the existing thread when mentioned inside one', async () => {
    const { gw, api } = await setup()
    await mention(gw, 'and now?', { ts: '1763719400.000100', thread_ts: '1763719301.000300' })
    await delivered(gw, accepted(gw)[0]!.run as string)
    expect((chatPosts(api)[0]!.json as { thread_ts: string }).thread_ts).toBe('1763719301.000300')
  })

  it('answers every callback of a saturated gateway inside 3 s and posts the busy notice in the thread', async () => {
    const { gw, api } = await setup({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '3000' }, limits: '{ concurrency: 1, queue: 2 }' })
    const answers = await Promise.all([1, 2, 3, 4].map(async (i) => mention(gw, `job ${i}`, { ts: `1763719500.00000${i}` })))
    console.log(`slack Events API answers under saturation (ms): ${answers.map((a) => a.ms.toFixed(0)).join(', ')}`)
    for (const a of answers) {
      expect(a.status).toBe(200)
      expect(a.text).toBe('')
      expect(a.ms).toBeLessThanOrEqual(3000)
    }
    expect(accepted(gw)).toHaveLength(3)
    const refused = gw.audit().filter((r) => r.event === 'rejected' && r.reason === 'overloaded')
    expect(refused).toHaveLength(1)
    const [notice] = await api.waitFor(1, { match: '/chat.postMessage' })
    expect(notice!.headers.authorization).toBe('Bearer xoxb-t')
    const sent = notice!.json as { channel: string, thread_ts: string, text: string }
    expect(sent.text).toBe('The agent is busy with other work right now; try again in a minute.')
    expect(sent.channel).toBe('C2147483705')
    expect(sent.thread_ts).toMatch(/^1763719500\.00000[1-4]$/)
    await gw.close()
  })

  it('does not run a Slack retry of the same event twice', async () => {
    const { gw, api } = await setup()
    const first = await mention(gw, 'only once', {}, 'Ev0RETRY0001')
    expect(first.status).toBe(200)
    // Slack signs the retry afresh (another timestamp) and says which retry it is.
    const retry = slackRequest(first.body, JSON_TYPE, Math.floor(Date.now() / 1000) + 1)
    const again = await gw.post(HOOK, retry.body, { ...retry.headers, 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' })
    expect(again.status).toBe(200)
    expect(again.text).toBe('')
    const run = accepted(gw)[0]!.run as string
    await delivered(gw, run)
    await sleep(300)
    expect(accepted(gw)).toHaveLength(1)
    expect(gw.audit().filter((r) => r.event === 'rejected' && r.reason === 'replayed')).toMatchObject([{ run }])
    expect(chatPosts(api)).toHaveLength(1)
  })

  it('sends built-in answers and the confirmation prompt to the thread, since Slack drops the answer', async () => {
    const { gw, api } = await setup()
    const help = await mention(gw, '/help', { ts: '1763719600.000100' })
    expect(help.status).toBe(200)
    expect(help.text).toBe('')
    const [helpPost] = await api.waitFor(1, { match: '/chat.postMessage' })
    expect(helpPost!.headers.authorization).toBe('Bearer xoxb-t')
    expect(helpPost!.json).toMatchObject({ channel: 'C2147483705', thread_ts: '1763719600.000100', text: expect.stringContaining('/run — Ask the agent') })

    // A bare mention is a request for help.
    await mention(gw, '', { ts: '1763719600.000150' })
    const [, bare] = await api.waitFor(2, { match: '/chat.postMessage' })
    expect((bare!.json as { text: string }).text).toBe((helpPost!.json as { text: string }).text)

    await mention(gw, '/status', { ts: '1763719600.000200' })
    const [, , status] = await api.waitFor(3, { match: '/chat.postMessage' })
    expect(status!.json).toMatchObject({ thread_ts: '1763719600.000200', text: 'No active runs.' })

    await mention(gw, '/deploy production', { ts: '1763719600.000300' })
    const [, , , ask] = await api.waitFor(4, { match: '/chat.postMessage' })
    const m = /^\/deploy production needs confirmation: send \/confirm (\S+) within 5 minutes\.$/.exec((ask!.json as { text: string }).text)
    expect(m, (ask!.json as { text: string }).text).not.toBeNull()
    expect((ask!.json as { thread_ts: string }).thread_ts).toBe('1763719600.000300')
    expect(accepted(gw)).toHaveLength(0)

    await mention(gw, `/confirm ${m![1]}`, { ts: '1763719600.000300', thread_ts: '1763719600.000300' })
    const [acc] = accepted(gw)
    expect(acc).toMatchObject({ command: 'deploy', user: 'U1' })
    await delivered(gw, acc!.run as string)
    const result = chatPosts(api).at(-1)!
    expect(result.json).toMatchObject({ channel: 'C2147483705', thread_ts: '1763719600.000300' })
    expect(json(unescapeSlack((result.json as { text: string }).text))).toMatchObject({ prompt: 'Deploy to production.' })
    expect(chatPosts(api)).toHaveLength(5)
  })

  it('cancels a running run from the thread and says so there', async () => {
    const { gw, api } = await setup({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '500' } })
    await mention(gw, 'a long job', { ts: '1763719700.000100' })
    const run = accepted(gw)[0]!.run as string
    await gw.waitForAudit((r) => r.event === 'started' && r.run === run)
    await mention(gw, '/cancel', { ts: '1763719700.000200' })
    const [notice] = await api.waitFor(1, { match: '/chat.postMessage' })
    expect(notice!.json).toMatchObject({ thread_ts: '1763719700.000200', text: `Cancelling ${run}.` })
    await gw.waitForAudit((r) => r.event === 'cancelled' && r.run === run)
    expect(await delivered(gw, run)).toMatchObject({ status: 'delivered' })
    const result = chatPosts(api).find((p) => p.json !== undefined && (p.json as { thread_ts: string }).thread_ts === '1763719700.000100')
    expect((result!.json as { text: string }).text).toMatch(/^⛔ Cancelled/)
  })

  it('refuses a user who is not in users without a run', async () => {
    const { gw, api } = await setup()
    const a = await mention(gw, 'let me in', { user: 'U999' })
    expect(a.status).toBe(200)
    expect(a.text).toBe('')
    expect(gw.audit().find((r) => r.event === 'rejected')).toMatchObject({ caller: 'slack', user: 'U999', reason: 'forbidden_user' })
    await sleep(300)
    expect(accepted(gw)).toHaveLength(0)
    // Slack drops the answer, so a polite word can only come as a thread reply. Today none is sent
    // (src/hooks/platform-answer.ts answers strangers only in the webhook answer); whatever is sent
    // must be that refusal and nothing else.
    for (const post of chatPosts(api)) {
      expect(post.json).toMatchObject({ thread_ts: '1763719300.000200', text: 'Sorry, you are not allowed to use this bot. Ask its owner to add your user id.' })
    }
  })

  it('answers a direct message in its own thread', async () => {
    const { gw, api } = await setup()
    const body = eventBody({ type: 'message', channel_type: 'im', channel: 'D024BE91L', text: 'hello in private', ts: '1763719800.000100' })
    const signed = slackRequest(body, JSON_TYPE)
    const a = await gw.post(HOOK, signed.body, signed.headers)
    expect(a.status).toBe(200)
    const run = accepted(gw)[0]!.run as string
    await delivered(gw, run)
    const [post] = chatPosts(api)
    expect(post!.json).toMatchObject({ channel: 'D024BE91L', thread_ts: '1763719800.000100' })
    expect(json(unescapeSlack((post!.json as { text: string }).text))).toMatchObject({ prompt: 'hello in private' })
  })

  it('runs one event once when Slack\'s retry arrives while the first request is still in flight', async () => {
    const { gw, api } = await setup()
    const body = eventBody({ text: `<@${BOT}> at the same time` }, 'Ev0CONCURRENT1')
    const now = Math.floor(Date.now() / 1000)
    const signed = [slackRequest(body, JSON_TYPE, now), slackRequest(body, JSON_TYPE, now + 1), slackRequest(body, JSON_TYPE, now + 2)]
    const answers = await Promise.all(signed.map((s, i) => gw.post(HOOK, s.body, { ...s.headers, ...(i > 0 ? { 'x-slack-retry-num': String(i), 'x-slack-retry-reason': 'http_timeout' } : {}) })))
    for (const a of answers) expect(a.status).toBe(200)
    const runs = accepted(gw)
    expect(runs).toHaveLength(1)
    await delivered(gw, runs[0]!.run as string)
    await sleep(300)
    expect(accepted(gw)).toHaveLength(1)
    expect(chatPosts(api)).toHaveLength(1)
  })

  it('posts a long result as several thread replies in order', async () => {
    const { gw, api } = await setup({ server: '{ public_url: "http://127.0.0.1:1" }' })
    const words = Array.from({ length: 1800 }, (_, i) => `word${i}`).join(' ')
    await mention(gw, words, { ts: '1763719900.000100' })
    const run = accepted(gw)[0]!.run as string
    await delivered(gw, run)
    const posts = chatPosts(api)
    expect(posts).toHaveLength(4)
    for (const [i, p] of posts.entries()) {
      const sent = p.json as { channel: string, thread_ts: string, text: string }
      expect(sent.thread_ts).toBe('1763719900.000100')
      expect(codePoints(unescapeSlack(sent.text))).toBeLessThanOrEqual(LIMIT)
      expect(sent.text.endsWith(`(${i + 1}/4)`)).toBe(true)
    }
    expect((posts[3]!.json as { text: string }).text).toMatch(/\nFull result: http:\/\/127\.0\.0\.1:1\/v1\/runs\/run_\S+\?token=lnk_\S+\n\(4\/4\)$/)
  })

  it('retries a rate-limited chat.postMessage and posts once', async () => {
    const { gw, api } = await setup()
    // Slack's Web API says so in the body of a 200 as well as with 429.
    const limited = { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } }
    api.enqueue(limited, limited, limited)
    await mention(gw, 'busy slack')
    const run = accepted(gw)[0]!.run as string
    expect(await delivered(gw, run, 15_000)).toMatchObject({ status: 'delivered', attempts: 2 })
    await sleep(300)
    expect(chatPosts(api)).toHaveLength(4)
    expect(forRun(gw, run).filter((r) => r.event === 'delivery').map((r) => r.status)).toEqual(['retrying', 'delivered'])
  })

  it('fails at once when Slack refuses the token, which no retry can fix', async () => {
    const { gw, api } = await setup()
    api.route('/chat.postMessage', { status: 200, body: { ok: false, error: 'invalid_auth' } })
    await mention(gw, 'bad token')
    const run = accepted(gw)[0]!.run as string
    expect(await delivered(gw, run)).toMatchObject({ status: 'failed', attempts: 1, reason: 'slack: chat.postMessage refused: invalid_auth' })
    expect(chatPosts(api)).toHaveLength(1)
  })

  it('ignores its own messages and other bots', async () => {
    const { gw } = await setup()
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ user: BOT }, 'ignored: bot_message'],
      [{ bot_id: 'B01' }, 'ignored: bot_message'],
      [{ type: 'message', subtype: 'message_changed' }, 'ignored: message_subtype'],
      [{ type: 'message', channel_type: 'channel' }, 'ignored: channel_message'],
      [{ type: 'reaction_added' }, 'ignored: unsupported_event']
    ]
    for (const [event, reason] of cases) {
      const a = await mention(gw, 'loop?', event)
      expect(a.status, reason).toBe(200)
      expect(gw.audit().at(-1), reason).toMatchObject({ event: 'rejected', reason })
    }
    expect(accepted(gw)).toHaveLength(0)
  })
})
