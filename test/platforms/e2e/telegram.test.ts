// Telegram through a real gateway: updates with the secret token header over TCP, the fake `claude`
// agent, the live message edited in place while the run works, and the result delivered to a fake
// Bot API.
import { describe, expect, it } from 'vitest'
import { platformGateway, type PlatformGateway } from '../../helpers/platform-gateway.ts'
import { TELEGRAM_SECRET, telegramRequest } from '../../helpers/platform-sign.ts'
import { startFakeApi, type FakeApi, type FakeRoute, type RecordedRequest } from '../../helpers/fake-api.ts'
import { telegramAdapter } from '../../../src/platforms/telegram/index.ts'
import { sleep } from '../../helpers/audit-queries.ts'

const HOOK = '/v1/hooks/telegram'
const TOKEN = '123:abc'
const SEND = `/bot${TOKEN}/sendMessage`
const EDIT = `/bot${TOKEN}/editMessageText`
const USER = 42
const CHAT = 42
const LIMIT = 4096
const INTERVAL = telegramAdapter.progressIntervalMs!
const WORKING = '⏳ working'

type Audit = Record<string, unknown>

function callers (api: string): string {
  return `{ telegram: { scheme: telegram, secrets: [${TELEGRAM_SECRET}], users: ["${USER}"], commands: [run, deploy], default_command: run, reply: { token: "${TOKEN}", api_base: "${api}" } } }`
}

interface FakeTelegram extends FakeApi {
  /** Answers asked before the Bot API's usual ones (a route that returns nothing passes). */
  before (route: FakeRoute): void
}

/** A fake Bot API: sendMessage answers with a new message id, editMessageText with the edited one. */
async function fakeTelegram (): Promise<FakeTelegram> {
  const api = await startFakeApi({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } })
  const first: FakeRoute[] = []
  api.route(/./, (req) => {
    for (const route of first) {
      const answer = route(req)
      if (answer !== undefined) return answer
    }
    return undefined
  })
  let next = 500
  api.route(SEND, (req) => {
    const { chat_id: chatId, text } = req.json as { chat_id: number, text: string }
    return { status: 200, body: { ok: true, result: { message_id: next++, chat: { id: chatId, type: 'private' }, date: 1763719300, text } } }
  })
  api.route(EDIT, (req) => {
    const { message_id: messageId, text } = req.json as { message_id: number, text: string }
    return { status: 200, body: { ok: true, result: { message_id: messageId, chat: { id: CHAT, type: 'private' }, date: 1763719300, edit_date: 1763719301, text } } }
  })
  return Object.assign(api, { before: (route: FakeRoute) => { first.push(route) } })
}

async function setup (opts: { env?: Record<string, string>, limits?: string, server?: string } = {}): Promise<{ gw: PlatformGateway, api: FakeTelegram }> {
  const api = await fakeTelegram()
  const gw = await platformGateway({ callers: callers(api.url), env: opts.env ?? {}, ...(opts.limits !== undefined ? { limits: opts.limits } : {}), ...(opts.server !== undefined ? { server: opts.server } : {}) })
  return { gw, api }
}

let updateId = 700_000_000 + Math.floor(Math.random() * 1_000_000)
let messageId = 1000

function update (text: string, opts: { from?: number, chat?: number, message?: Record<string, unknown> } = {}): Record<string, unknown> {
  const from = opts.from ?? USER
  return {
    update_id: ++updateId,
    message: {
      message_id: ++messageId,
      from: { id: from, is_bot: false, first_name: 'Ana', username: 'ana' },
      chat: { id: opts.chat ?? CHAT, first_name: 'Ana', username: 'ana', type: 'private' },
      date: 1763719200,
      text,
      ...opts.message
    }
  }
}

async function send (gw: PlatformGateway, payload: unknown) {
  const signed = telegramRequest(payload)
  return gw.post(HOOK, signed.body, signed.headers)
}

async function say (gw: PlatformGateway, text: string, opts: Parameters<typeof update>[1] = {}) {
  const u = update(text, opts)
  const answer = await send(gw, u)
  return { ...answer, update: u, replyTo: (u.message as { message_id: number }).message_id }
}

function json (text: string): any {
  return JSON.parse(text)
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

function lastRun (gw: PlatformGateway): string {
  const runs = accepted(gw)
  expect(runs.length).toBeGreaterThan(0)
  return runs.at(-1)!.run as string
}

function botCalls (api: FakeApi): RecordedRequest[] {
  return api.requests.filter((r) => r.url.startsWith(`/bot${TOKEN}/`))
}

function textOf (r: RecordedRequest): string {
  return (r.json as { text: string }).text
}

/** The answer Telegram runs as a Bot API method: a reply to the user's message. */
function methodAnswer (text: string, replyTo: number): unknown {
  return { method: 'sendMessage', chat_id: CHAT, text, reply_parameters: { message_id: replyTo } }
}

describe('telegram end to end', () => {
  it('replies with one message to a run that finishes before the live view starts', async () => {
    const { gw, api } = await setup()
    const a = await say(gw, 'explain the retry logic')
    expect(a.status).toBe(200)
    expect(a.text).toBe('')
    const run = lastRun(gw)
    expect(await delivered(gw, run)).toMatchObject({ status: 'delivered', attempts: 1, caller: 'telegram', user: String(USER) })
    const calls = botCalls(api)
    expect(calls.map((c) => c.url)).toEqual([SEND])
    const sent = calls[0]!.json as Record<string, unknown>
    expect(sent).toEqual({
      chat_id: CHAT,
      text: expect.any(String),
      reply_parameters: { message_id: a.replyTo, allow_sending_without_reply: true }
    })
    // Plain text: no parse_mode, so nothing in the output is read as markup.
    expect(json(sent.text as string)).toMatchObject({ prompt: 'explain the retry logic', prompt_source: 'stream-json' })
    const trail = forRun(gw, run).map((r) => r.event === 'delivery' ? `delivery:${String(r.status)}` : r.event)
    expect(trail).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])
    expect(gw.audit().filter((r) => r.event === 'request' && r.caller === 'telegram')).toHaveLength(1)
  })

  it('shows a live message, edits it at most every progressIntervalMs while the agent writes, then replaces it with the result', async () => {
    const { gw, api } = await setup({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '300' } })
    const prompt = 'stream your answer slowly please'
    const a = await say(gw, prompt)
    expect(a.status).toBe(200)
    expect(a.text).toBe('')
    const run = lastRun(gw)
    expect(await delivered(gw, run, 20_000)).toMatchObject({ status: 'delivered', attempts: 1 })
    await sleep(500)

    const calls = botCalls(api)
    const [live, ...edits] = calls
    // One live message, answering the user's, then only edits of that one message.
    expect(live!.url).toBe(SEND)
    expect(live!.json).toMatchObject({ chat_id: CHAT, reply_parameters: { message_id: a.replyTo, allow_sending_without_reply: true } })
    expect(textOf(live!).endsWith(WORKING)).toBe(true)
    expect(edits.length).toBeGreaterThanOrEqual(2)
    for (const e of edits) {
      expect(e.url).toBe(EDIT)
      expect(e.json).toMatchObject({ chat_id: CHAT, message_id: 500 })
    }
    const final = edits.at(-1)!
    const progress = edits.slice(0, -1)
    // What the agent streams is "Received N characters." in 20 pieces; the live view shows what came so far.
    const streamed = `Received ${prompt.length} characters.`
    expect(progress.length).toBeGreaterThanOrEqual(1)
    for (const e of progress) {
      const text = textOf(e)
      expect(text.endsWith(`\n\n${WORKING}`), text).toBe(true)
      expect(streamed.startsWith(text.slice(0, -`\n\n${WORKING}`.length)), text).toBe(true)
    }
    expect(new Set(progress.map(textOf)).size).toBe(progress.length)
    expect(json(textOf(final))).toMatchObject({ prompt })
    const views = [live!, ...progress]
    const gaps = views.slice(1).map((v, i) => v.at - views[i]!.at)
    console.log(`telegram live view: sendMessage then ${progress.length} progress edit(s), gaps ${gaps.join(', ')} ms, final edit ${final.at - views.at(-1)!.at} ms after the last one (interval ${INTERVAL} ms)`)
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(INTERVAL - 250)
    expect(final.at).toBeGreaterThanOrEqual(views.at(-1)!.at)

    const trail = forRun(gw, run).map((r) => r.event === 'delivery' ? `delivery:${String(r.status)}` : r.event)
    expect(trail).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])
  }, 30_000)

  it('keeps the live view throttled and honours retry_after when Telegram limits the edits', async () => {
    const { gw, api } = await setup({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '600' } })
    // The first edit is refused with retry_after 3 at every attempt of the outbound client (three),
    // which holds the live view for ~6 s: meanwhile more updates come due, and the run finishes.
    const limited = { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } } }
    let refused = 0
    api.before((req) => req.url === EDIT && refused < 3 ? (refused++, limited) : undefined)
    const prompt = 'stream while rate limited'
    await say(gw, prompt)
    const run = lastRun(gw)
    expect(await delivered(gw, run, 25_000)).toMatchObject({ status: 'delivered', attempts: 1 })
    await sleep(500)
    const calls = botCalls(api)
    expect(calls[0]!.url).toBe(SEND)
    expect(calls.slice(1).every((e) => e.url === EDIT && (e.json as { message_id: number }).message_id === 500)).toBe(true)
    expect(refused).toBe(3)
    const final = calls.at(-1)!
    expect(json(textOf(final))).toMatchObject({ prompt })
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at)
    console.log(`telegram live view under 429 (retry_after 3): ${calls.map((c) => c === final ? 'final' : c.url === SEND ? 'send' : 'edit').join(', ')}; gaps ${gaps.join(', ')} ms`)
    for (const [i, gap] of gaps.entries()) {
      // After a refusal Telegram's retry_after rules, for every call; after a success, the adapter's
      // interval, except for the final result.
      const afterRefusal = i >= 1 && i <= 3
      const isFinal = i === gaps.length - 1
      if (afterRefusal) expect(gap, `gap ${i} (after a 429)`).toBeGreaterThanOrEqual(3000 - 50)
      else if (!isFinal) expect(gap, `gap ${i}`).toBeGreaterThanOrEqual(INTERVAL - 250)
    }
  }, 30_000)

  it('acknowledges every update of a saturated gateway at once, and asks Telegram to redeliver the one it cannot take', async () => {
    const { gw } = await setup({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '3000' }, limits: '{ concurrency: 1, queue: 2 }' })
    const answers = await Promise.all([1, 2, 3, 4].map(async (i) => say(gw, `job ${i}`)))
    console.log(`telegram answers under saturation (ms): ${answers.map((a) => a.ms.toFixed(0)).join(', ')}`)
    for (const a of answers) expect(a.ms).toBeLessThanOrEqual(1000)
    const ok = answers.filter((a) => a.status === 200)
    const busy = answers.filter((a) => a.status !== 200)
    expect(ok).toHaveLength(3)
    for (const a of ok) expect(a.text).toBe('')
    expect(busy).toHaveLength(1)
    expect(busy[0]!.status).toBe(503)
    expect(busy[0]!.headers['retry-after']).toBe('5')
    expect(json(busy[0]!.text)).toMatchObject({ statusCode: 503, code: 'HOOKGATE_OVERLOADED' })
    expect(accepted(gw)).toHaveLength(3)
    expect(gw.audit().filter((r) => r.event === 'rejected' && r.reason === 'overloaded')).toHaveLength(1)

    // Telegram redelivers the same update: still busy, still 503 and nothing runs.
    const again = await send(gw, busy[0]!.update)
    expect(again.status).toBe(503)
    expect(accepted(gw)).toHaveLength(3)
    // Once a queued run is cancelled, the redelivered update gets its turn.
    const cancel = await say(gw, '/cancel')
    expect(cancel.status).toBe(200)
    expect(json(cancel.text).text).toMatch(/^Cancelling run_/)
    const later = await send(gw, busy[0]!.update)
    expect(later.status).toBe(200)
    expect(later.ms).toBeLessThanOrEqual(1000)
    expect(accepted(gw)).toHaveLength(4)
    await gw.close()
  })

  it('does not run a redelivered update twice', async () => {
    const { gw, api } = await setup()
    const a = await say(gw, 'only once')
    const run = lastRun(gw)
    const again = await send(gw, a.update)
    expect(again.status).toBe(200)
    expect(again.text).toBe('')
    await delivered(gw, run)
    await sleep(300)
    expect(accepted(gw)).toHaveLength(1)
    expect(gw.audit().filter((r) => r.event === 'rejected' && r.reason === 'replayed')).toMatchObject([{ run }])
    expect(botCalls(api)).toHaveLength(1)
  })

  it('runs an update once when Telegram sends it again before the first is answered', async () => {
    const { gw, api } = await setup()
    const u = update('at the same time')
    const answers = await Promise.all([send(gw, u), send(gw, u), send(gw, u)])
    for (const a of answers) expect(a.status).toBe(200)
    expect(accepted(gw)).toHaveLength(1)
    await delivered(gw, lastRun(gw))
    await sleep(300)
    expect(accepted(gw)).toHaveLength(1)
    expect(botCalls(api)).toHaveLength(1)
  })

  it('answers inside the forum topic the message came from', async () => {
    const { gw, api } = await setup()
    const group = -1002233445566
    const topic = await say(gw, '/help@hookgate_bot', { chat: group, message: { message_thread_id: 27, is_topic_message: true, chat: { id: group, title: 'dev', type: 'supergroup', is_forum: true } } })
    expect(json(topic.text)).toMatchObject({ method: 'sendMessage', chat_id: group, message_thread_id: 27, reply_parameters: { message_id: topic.replyTo } })
    const a = await say(gw, 'what broke?', { chat: group, message: { message_thread_id: 27, is_topic_message: true, chat: { id: group, title: 'dev', type: 'supergroup', is_forum: true } } })
    await delivered(gw, lastRun(gw))
    expect(botCalls(api)[0]!.json).toMatchObject({ chat_id: group, message_thread_id: 27, reply_parameters: { message_id: a.replyTo, allow_sending_without_reply: true } })
    // A reply outside a topic also carries a message_thread_id, which is not a topic to send to.
    const reply = await say(gw, 'and this?', { chat: group, message: { message_thread_id: a.replyTo, chat: { id: group, title: 'dev', type: 'supergroup' } } })
    await delivered(gw, lastRun(gw))
    const sent = botCalls(api)[1]!.json as Record<string, unknown>
    expect(sent).toMatchObject({ chat_id: group, reply_parameters: { message_id: reply.replyTo } })
    expect(sent.message_thread_id).toBeUndefined()
  })

  it('refuses a user who is not in users, in a reply, without a run', async () => {
    const { gw, api } = await setup()
    const a = await say(gw, 'let me in', { from: 99, chat: CHAT })
    expect(a.status).toBe(200)
    expect(a.headers['content-type']).toMatch(/^application\/json/)
    expect(json(a.text)).toEqual(methodAnswer('Sorry, you are not allowed to use this bot. Ask its owner to add your user id.', a.replyTo))
    expect(gw.audit().find((r) => r.event === 'rejected')).toMatchObject({ caller: 'telegram', user: '99', reason: 'forbidden_user' })
    await sleep(300)
    expect(accepted(gw)).toHaveLength(0)
    expect(api.requests).toHaveLength(0)
  })

  it('answers the same 401 to a wrong, missing or repeated-header secret', async () => {
    const { gw } = await setup()
    const body = JSON.stringify(update('hello'))
    const unknown = await gw.post('/v1/hooks/nobody', body, telegramRequest({}).headers)
    expect(unknown.status).toBe(401)
    const generic = json(unknown.text)
    expect(generic).toMatchObject({ statusCode: 401, code: 'HOOKGATE_UNAUTHORIZED' })
    const cases: Array<Record<string, string>> = [
      { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET.slice(0, -1) + 'X' },
      { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET + 'X' },
      { 'content-type': 'application/json' }
    ]
    for (const headers of cases) {
      const a = await gw.post(HOOK, body, headers)
      expect(a.status).toBe(401)
      expect(json(a.text)).toEqual(generic)
    }
    expect(gw.audit().filter((r) => r.event === 'rejected' && r.caller === 'telegram')).toHaveLength(3)
    expect(accepted(gw)).toHaveLength(0)
  })

  it('runs the built-ins: /help@bot, /start, /status and /cancel of a running run', async () => {
    const { gw, api } = await setup({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '500' } })
    const help = await say(gw, '/help@hookgate_bot')
    expect(help.status).toBe(200)
    const helpAnswer = json(help.text) as { method: string, text: string }
    expect(helpAnswer).toEqual(methodAnswer(helpAnswer.text, help.replyTo))
    expect(helpAnswer.text).toContain('/run — Ask the agent')
    expect(helpAnswer.text).toContain('/status — your active runs')
    const start = await say(gw, '/start')
    expect(json(start.text)).toEqual(methodAnswer(helpAnswer.text, start.replyTo))
    const deepLink = await say(gw, '/start c29tZS1wYXlsb2Fk')
    expect(json(deepLink.text).text).toBe(helpAnswer.text)

    const idle = await say(gw, '/status')
    expect(json(idle.text)).toEqual(methodAnswer('No active runs.', idle.replyTo))

    const work = await say(gw, 'take your time')
    expect(work.text).toBe('')
    const run = lastRun(gw)
    await gw.waitForAudit((r) => r.event === 'started' && r.run === run)
    const status = await say(gw, '/status@hookgate_bot')
    expect(json(status.text).text).toMatch(new RegExp(`^${run} running /run since \\S+$`))
    // Wait for the live message, so the cancelled result replaces it.
    const [live] = await api.waitFor(1, { match: SEND })
    expect(textOf(live!)).toBe(WORKING)
    const cancel = await say(gw, '/cancel')
    expect(json(cancel.text)).toEqual(methodAnswer(`Cancelling ${run}.`, cancel.replyTo))
    await gw.waitForAudit((r) => r.event === 'cancelled' && r.run === run)
    expect(await delivered(gw, run)).toMatchObject({ status: 'delivered' })
    const calls = botCalls(api)
    expect(calls.map((c) => c.url)).toEqual([SEND, EDIT])
    expect(calls[1]!.json).toMatchObject({ chat_id: CHAT, message_id: 500 })
    expect(textOf(calls[1]!)).toMatch(/^⛔ Cancelled/)
    expect(accepted(gw)).toHaveLength(1)
  })

  it('asks for confirmation of /deploy production and runs it on /confirm CODE', async () => {
    const { gw, api } = await setup()
    const ask = await say(gw, '/deploy@hookgate_bot production')
    const text = (json(ask.text) as { text: string }).text
    expect(json(ask.text)).toEqual(methodAnswer(text, ask.replyTo))
    const m = /^\/deploy production needs confirmation: send \/confirm (\S+) within 5 minutes\.$/.exec(text)
    expect(m, text).not.toBeNull()
    expect(accepted(gw)).toHaveLength(0)

    const stranger = await say(gw, `/confirm ${m![1]}`, { from: 99 })
    expect(json(stranger.text).text).toMatch(/not allowed/)

    const confirm = await say(gw, `/confirm ${m![1]}`)
    expect(confirm.status).toBe(200)
    expect(confirm.text).toBe('')
    const run = lastRun(gw)
    expect(forRun(gw, run)[0]).toMatchObject({ event: 'accepted', command: 'deploy', user: String(USER) })
    await delivered(gw, run)
    const calls = botCalls(api)
    expect(calls).toHaveLength(1)
    // The result answers the confirming message.
    expect(calls[0]!.json).toMatchObject({ chat_id: CHAT, reply_parameters: { message_id: confirm.replyTo } })
    expect(json(textOf(calls[0]!))).toMatchObject({ prompt: 'Deploy to production.' })

    const reuse = await say(gw, `/confirm ${m![1]}`)
    expect(json(reuse.text).text).toMatch(/confirm/)
    expect(accepted(gw)).toHaveLength(1)
  })

  it('waits out a 429 with retry_after and delivers exactly once', async () => {
    const { gw, api } = await setup()
    const limited = { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } } }
    // Three for the outbound client's own attempts, so the delivery service sees one failed attempt.
    api.enqueue(limited, limited, limited)
    await say(gw, 'rate limited')
    const run = lastRun(gw)
    expect(await delivered(gw, run, 15_000)).toMatchObject({ status: 'delivered', attempts: 2 })
    await sleep(300)
    const calls = botCalls(api)
    expect(calls.map((c) => c.url)).toEqual([SEND, SEND, SEND, SEND])
    expect(new Set(calls.map((c) => c.body)).size).toBe(1)
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThanOrEqual(950)
    expect(forRun(gw, run).filter((r) => r.event === 'delivery').map((r) => [r.status, r.attempts])).toEqual([['retrying', 1], ['delivered', 2]])
  })

  it('gives up after the attempts when the Bot API fails every time, and keeps working', async () => {
    const { gw, api } = await setup()
    const broken = { status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } }
    api.enqueue(...Array.from({ length: 12 }, () => broken))
    await say(gw, 'doomed')
    const run = lastRun(gw)
    expect(await delivered(gw, run, 20_000)).toMatchObject({ status: 'failed', attempts: 4 })
    expect(forRun(gw, run).filter((r) => r.event === 'delivery').map((r) => [r.status, r.attempts])).toEqual([['retrying', 1], ['retrying', 2], ['retrying', 3], ['failed', 4]])
    expect(botCalls(api)).toHaveLength(12)
    const failure = forRun(gw, run).at(-1)!
    expect(JSON.stringify(failure)).not.toContain(TOKEN)

    await say(gw, 'still there?')
    const next = lastRun(gw)
    expect(await delivered(gw, next)).toMatchObject({ status: 'delivered', attempts: 1 })
  })

  it('fails at once on an error no retry can fix (chat not found)', async () => {
    const { gw, api } = await setup()
    api.enqueue({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' } })
    await say(gw, 'nobody home')
    const run = lastRun(gw)
    expect(await delivered(gw, run)).toMatchObject({ status: 'failed', attempts: 1 })
    await sleep(300)
    expect(botCalls(api)).toHaveLength(1)
  })

  it('splits a long result into messages of at most 4,096 UTF-16 units and links to the rest', async () => {
    const { gw, api } = await setup({ server: '{ public_url: "http://127.0.0.1:1" }' })
    // Astral characters count twice in UTF-16, which is what Telegram counts.
    const prompt = Array.from({ length: 1500 }, (_, i) => `w${i}😀`).join(' ')
    await say(gw, prompt)
    const run = lastRun(gw)
    await delivered(gw, run)
    const calls = botCalls(api)
    expect(calls.map((c) => c.url)).toEqual([SEND, SEND, SEND, SEND])
    const texts = calls.map(textOf)
    for (const [i, text] of texts.entries()) {
      expect(text.length).toBeLessThanOrEqual(LIMIT)
      expect(text.endsWith(`(${i + 1}/4)`), text.slice(-80)).toBe(true)
    }
    // Full messages: the split uses the room it has (in UTF-16 units, not code points).
    expect(texts[0]!.length).toBeGreaterThan(LIMIT - 200)
    // No lone surrogate at a cut.
    for (const t of texts) expect(t.isWellFormed()).toBe(true)
    const link = /\nFull result: (http:\/\/127\.0\.0\.1:1(\/v1\/runs\/(run_\S+))\?token=(\S+))\n\(4\/4\)$/.exec(texts[3]!)
    expect(link, texts[3]!.slice(-300)).not.toBeNull()
    expect(link![3]).toBe(run)
    const read = await fetch(`${gw.url}${link![2]}?token=${link![4]}`)
    expect(read.status).toBe(200)
    const { output } = await read.json() as { output: string }
    expect(json(output).prompt).toBe(prompt)
    // In order and nothing lost up to the note, which counts what it leaves out.
    const shown = texts.map((t, i) => t.replace(/\n?\(\d\/4\)$/, '').replace(i === 3 ? /\n*✂ [\s\S]*$/ : /$^/, '')).join('')
    const squeeze = (s: string) => s.replace(/\s+/g, '')
    expect(squeeze(output).startsWith(squeeze(shown))).toBe(true)
    const note = /✂ ([\d,]+) more characters \((\d+) lines?\) not shown\./.exec(texts[3]!)
    expect(note, texts[3]!.slice(-300)).not.toBeNull()
    const omitted = Number(note![1]!.replaceAll(',', ''))
    expect(omitted).toBeGreaterThan(0)
    // Only the whitespace at the cuts is neither shown nor counted.
    expect(Math.abs([...output].length - [...shown].length - omitted)).toBeLessThanOrEqual(8)
    expect((await fetch(`${gw.url}${link![2]}/cancel?token=${link![4]}`, { method: 'POST' })).status).toBe(401)
    expect((await fetch(`${gw.url}${link![2]}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${link![4]}` } })).status).toBe(401)
  })

  it('puts part 1 of a long result in the live message and sends the rest as new replies', async () => {
    const { gw, api } = await setup({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '150' } })
    const prompt = Array.from({ length: 1000 }, (_, i) => `w${i}`).join(' ')
    const a = await say(gw, prompt)
    const run = lastRun(gw)
    expect(await delivered(gw, run, 20_000)).toMatchObject({ status: 'delivered', attempts: 1 })
    const calls = botCalls(api)
    const progressCalls = calls.findIndex((c) => textOf(c).endsWith('(1/3)'))
    expect(progressCalls).toBeGreaterThanOrEqual(1)
    expect(calls[0]!.url).toBe(SEND)
    expect(textOf(calls[0]!).endsWith(WORKING)).toBe(true)
    const result = calls.slice(progressCalls)
    expect(result.map((c) => c.url)).toEqual([EDIT, SEND, SEND])
    expect(result[0]!.json).toMatchObject({ chat_id: CHAT, message_id: 500 })
    for (const [i, c] of result.entries()) {
      expect(textOf(c).length).toBeLessThanOrEqual(LIMIT)
      expect(textOf(c).endsWith(`(${i + 1}/3)`)).toBe(true)
    }
    for (const c of result.slice(1)) expect(c.json).toMatchObject({ reply_parameters: { message_id: a.replyTo, allow_sending_without_reply: true } })
  }, 20_000)

  it('refuses malformed but authenticated updates with 400 and runs nothing', async () => {
    const { gw, api } = await setup()
    const headers = telegramRequest({}).headers
    const base = () => update('hi') as { update_id: number, message: Record<string, unknown> }
    const variant = (mutate: (u: any) => void) => { const u = base(); mutate(u); return JSON.stringify(u) }
    const cases: Array<[string | Buffer, string]> = [
      ['{"update_id": 1, "message": ', 'malformed_json'],
      [Buffer.concat([Buffer.from('{"update_id": 5, "message": {"text": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]), 'malformed_json'],
      ['[1, 2, 3]', 'not_an_update'],
      [variant((u) => { u.update_id = -1 }), 'bad_update_id'],
      [variant((u) => { u.update_id = '12' }), 'bad_update_id'],
      [variant((u) => { u.message = 'hi' }), 'bad_message'],
      [variant((u) => { delete u.message.chat }), 'bad_chat'],
      [variant((u) => { u.message.chat.id = 2 ** 53 }), 'bad_chat'],
      [variant((u) => { u.message.from.id = String(USER) }), 'bad_sender'],
      [variant((u) => { u.message.text = 42 }), 'bad_text']
    ]
    for (const [body, reason] of cases) {
      const a = await gw.post(HOOK, body, headers)
      expect(a.status, reason).toBe(400)
      expect(json(a.text), reason).toMatchObject({ statusCode: 400, code: 'HOOKGATE_BAD_REQUEST' })
      expect(gw.audit().at(-1), reason).toMatchObject({ event: 'rejected', caller: 'telegram', reason: `invalid_payload: ${reason}` })
    }
    // Updates that are not messages are acknowledged and skipped.
    const skipped = await send(gw, { update_id: ++updateId, edited_message: (update('edited').message) })
    expect(skipped.status).toBe(200)
    expect(gw.audit().at(-1)).toMatchObject({ reason: 'ignored: edited' })
    const bot = await say(gw, 'loop?', { message: { from: { id: 7, is_bot: true, first_name: 'bot' } } })
    expect(bot.status).toBe(200)
    expect(gw.audit().at(-1)).toMatchObject({ reason: 'ignored: bot' })
    await sleep(300)
    expect(accepted(gw)).toHaveLength(0)
    expect(api.requests).toHaveLength(0)
  })
})

describe('telegram end to end: permission requests', () => {
  /** A press of one of the question's buttons, as Telegram posts it. */
  function press (question: RecordedRequest, button: 0 | 1, from = USER): Record<string, unknown> {
    const body = question.json as { chat_id: number, text: string, reply_markup: { inline_keyboard: Array<Array<{ callback_data: string }>> } }
    return {
      update_id: ++updateId,
      callback_query: {
        id: String(9_000_000 + updateId),
        from: { id: from, is_bot: false, first_name: 'Ana' },
        message: { message_id: 777, from: { id: 1, is_bot: true, first_name: 'hookgate' }, chat: { id: CHAT, type: 'private' }, date: 1763719300, text: body.text, reply_markup: body.reply_markup },
        chat_instance: '-398547762015140238',
        data: body.reply_markup.inline_keyboard[0]![button]!.callback_data
      }
    }
  }

  async function question (api: FakeApi): Promise<RecordedRequest> {
    for (let i = 0; i < 200; i++) {
      const asked = botCalls(api).find((r) => r.url === SEND && (r.json as { reply_markup?: unknown }).reply_markup !== undefined)
      if (asked !== undefined) return asked
      await sleep(25)
    }
    throw new Error('no permission question was sent')
  }

  it('asks in the chat with Allow and Deny buttons; the asker\'s press resumes the agent, another user\'s is refused', async () => {
    const { gw, api } = await setup({ env: { FAKE_CLAUDE_MODE: 'ask' } })
    await say(gw, 'push my branch')
    const run = lastRun(gw)
    const asked = await question(api)
    const body = asked.json as { chat_id: number, text: string, reply_markup: { inline_keyboard: Array<Array<{ text: string, callback_data: string }>> } }
    expect(body.chat_id).toBe(CHAT)
    expect(body.text).toMatch(/^The agent asks permission \(run_\w+\):\nBash: git push origin main\nReply \/allow ([a-z2-9]{6}) or \/deny \1/)
    expect(body.reply_markup.inline_keyboard[0]!.map((b) => b.text)).toEqual(['Allow', 'Deny'])

    // Somebody else in the chat presses Allow: refused in an alert, nothing decided.
    const stranger = await send(gw, press(asked, 0, 4242))
    expect(stranger.status).toBe(200)
    expect(json(stranger.text)).toMatchObject({ method: 'answerCallbackQuery', show_alert: true })
    expect(forRun(gw, run).filter((r) => r.event === 'permission').map((r) => r.decision)).toEqual(['asked'])

    const allowed = await send(gw, press(asked, 0))
    expect(allowed.status).toBe(200)
    expect(json(allowed.text)).toMatchObject({ method: 'answerCallbackQuery', text: expect.stringMatching(/^Allowed Bash/) })
    await delivered(gw, run)
    const result = botCalls(api).filter((r) => r.url === SEND || r.url === EDIT).map(textOf).find((t) => t.includes('"decisions"'))
    expect(json(result!).decisions).toEqual([{ tool: 'Bash', behavior: 'allow' }])
    expect(forRun(gw, run).filter((r) => r.event === 'permission').map((r) => [r.decision, r.user])).toEqual([['asked', String(USER)], ['allow', String(USER)]])
  })

  it('takes a typed /deny ID from the asker as well', async () => {
    const { gw, api } = await setup({ env: { FAKE_CLAUDE_MODE: 'ask' } })
    await say(gw, 'push my branch')
    const run = lastRun(gw)
    const asked = await question(api)
    const pid = /\/deny ([a-z2-9]{6})/.exec((asked.json as { text: string }).text)![1]!
    const typed = await say(gw, `/deny ${pid}`)
    expect(typed.status).toBe(200)
    expect(json(typed.text)).toMatchObject({ method: 'sendMessage', text: expect.stringMatching(/^Denied Bash/) })
    await delivered(gw, run)
    expect(forRun(gw, run).filter((r) => r.event === 'permission').map((r) => r.decision)).toEqual(['asked', 'deny'])
  })
})
