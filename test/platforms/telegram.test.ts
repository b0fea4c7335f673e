import { readFileSync } from 'node:fs'
import { describe, expect, it, onTestFinished } from 'vitest'
import { telegramAdapter } from '../../src/platforms/telegram/index.ts'
import { createHttpOutbound, type HttpOutboundOptions } from '../../src/delivery/http-outbound.ts'
import { DeliveryError } from '../../src/delivery/outbound.ts'
import type { CallerConfig, ReplyConfig } from '../../src/config/schema.ts'
import type { DeliveryContext, DeliveryProgress, InboundRequest, ReplyTarget } from '../../src/platforms/adapter.ts'
import { startFakeApi, type FakeApi, type RecordedRequest } from '../helpers/fake-api.ts'
import { runObject } from '../helpers/run-object.ts'

const TOKEN = '7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'
const SEND = `/bot${TOKEN}/sendMessage`
const EDIT = `/bot${TOKEN}/editMessageText`
const PRIVATE_TARGET: ReplyTarget = { chat_id: 412345678, reply_to: 1342, thread_id: null }
const TOPIC_TARGET: ReplyTarget = { chat_id: -1002233445566, reply_to: 318, thread_id: 27 }

function fixture (name: string): string {
  return readFileSync(new URL(`../fixtures/platforms/telegram/${name}.json`, import.meta.url), 'utf8')
}

/** A fixture changed by `mutate`, as raw JSON. */
function edited (name: string, mutate: (update: any) => void): string {
  const update = JSON.parse(fixture(name))
  mutate(update)
  return JSON.stringify(update)
}

function caller (reply: Partial<ReplyConfig> = {}): CallerConfig {
  return {
    scheme: 'telegram',
    secrets: ['tg-secret-token-0123456789'],
    users: ['412345678'],
    commands: ['run', 'deploy'],
    default_command: 'run',
    reply: { token: TOKEN, ...reply }
  }
}

function request (body: string | Buffer): InboundRequest {
  return {
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'tg-secret-token-0123456789' },
    callerId: 'telegram',
    caller: caller(),
    now: Date.UTC(2026, 10, 21, 9, 20)
  }
}

function parse (body: string | Buffer) {
  return telegramAdapter.parse(request(body))
}

interface Harness {
  api: FakeApi
  ctx: DeliveryContext
  saved: DeliveryProgress[]
}

/** A fake Bot API that answers sendMessage like Telegram (message ids from 9001 up) and everything else with ok: true. */
async function harness (opts: { http?: HttpOutboundOptions, reply?: Partial<ReplyConfig> } = {}): Promise<Harness> {
  const api = await startFakeApi({ status: 200, body: { ok: true, result: true } })
  let nextId = 9001
  api.route(/\/sendMessage$/, (req) => {
    const params = req.json as { chat_id: number, text: string }
    return { status: 200, body: { ok: true, result: { message_id: nextId++, chat: { id: params.chat_id }, date: 1763719300, text: params.text } } }
  })
  const http = createHttpOutbound({ backoffMs: 10, ...opts.http })
  onTestFinished(() => http.close())
  const saved: DeliveryProgress[] = []
  const ctx: DeliveryContext = {
    http,
    deliveryId: 'dlv_01JDX8Y0ZQ4T7C9G2N5M3K6H1R',
    callerId: 'telegram',
    caller: caller({ api_base: api.url, ...opts.reply }),
    save: async (progress) => { saved.push(structuredClone(progress)) },
    now: () => Date.now()
  }
  return { api, ctx, saved }
}

/** Path and JSON body of each request, in order. */
function calls (requests: RecordedRequest[]): Array<{ method: string, url: string, json: unknown }> {
  return requests.map((r) => ({ method: r.method, url: r.url, json: r.json }))
}

async function deliveryError (promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(DeliveryError)
  const message = (error as DeliveryError).message
  expect(message).not.toContain(TOKEN)
  expect(message).not.toContain('AAHdqTcv')
  expect(message).not.toContain('/bot')
  return error as DeliveryError
}

const sendOf = (target: ReplyTarget, text: string) => ({
  chat_id: target.chat_id,
  ...(target.thread_id !== null ? { message_thread_id: target.thread_id } : {}),
  text,
  reply_parameters: { message_id: target.reply_to, allow_sending_without_reply: true }
})

describe('telegram parse', () => {
  it('reads a private text message', () => {
    expect(parse(fixture('private-text'))).toEqual({
      kind: 'messages',
      messages: [{
        text: 'explain the retry logic in src/delivery',
        user: '412345678',
        thread: '412345678',
        eventId: '864213579',
        target: { chat_id: 412345678, reply_to: 1342, thread_id: null }
      }]
    })
  })

  it('reads a media caption as the text', () => {
    const result = parse(fixture('photo-caption'))
    expect(result).toMatchObject({ kind: 'messages', messages: [{ text: 'why does this stack trace point at the queue?', eventId: '864213600' }] })
  })

  it('prefers the text over a caption when both are present', () => {
    const result = parse(edited('private-text', (u) => { u.message.caption = 'a caption' }))
    expect(result).toMatchObject({ messages: [{ text: 'explain the retry logic in src/delivery' }] })
  })

  it('strips the bot username Telegram appends to commands in groups', () => {
    expect(parse(fixture('group-command'))).toEqual({
      kind: 'messages',
      messages: [{
        text: '/status',
        user: '412345678',
        thread: '-1001987654321',
        eventId: '864213580',
        target: { chat_id: -1001987654321, reply_to: 5521, thread_id: null }
      }]
    })
    expect(parse(fixture('group-confirm'))).toMatchObject({ messages: [{ text: '/confirm K7QX2M' }] })
  })

  it('strips @name from the first token only', () => {
    expect(parse(fixture('group-mention-in-args'))).toMatchObject({
      messages: [{ text: '/run ask @bruno_dev about /deploy@hookgate_bot' }]
    })
  })

  it.each([
    ['/status@hookgate_bot\nplease', '/status\nplease'],
    ['/cancel@hookgate_bot run_01jdx8y0zq4t7c9g2n5m3k6h1r', '/cancel run_01jdx8y0zq4t7c9g2n5m3k6h1r'],
    ['/status@hookgate_bot,', '/status@hookgate_bot,'],
    ['mail ana@example.com about /status@hookgate_bot', 'mail ana@example.com about /status@hookgate_bot'],
    ['@hookgate_bot hello', '@hookgate_bot hello']
  ])('maps %j to %j', (text, expected) => {
    expect(parse(edited('group-command', (u) => { u.message.text = text }))).toMatchObject({ messages: [{ text: expected }] })
  })

  it.each([
    ['/start', 'private-start'],
    ['/start with a deep-link payload', 'private-start-deeplink']
  ])('treats %s as /help', (_name, name) => {
    expect(parse(fixture(name))).toMatchObject({ kind: 'messages', messages: [{ text: '/help' }] })
  })

  it('treats /start@botname as /help and leaves /starter alone', () => {
    expect(parse(edited('group-command', (u) => { u.message.text = '/start@hookgate_bot' }))).toMatchObject({ messages: [{ text: '/help' }] })
    expect(parse(edited('group-command', (u) => { u.message.text = '/starter kit' }))).toMatchObject({ messages: [{ text: '/starter kit' }] })
  })

  it('keys forum topics by chat and topic, and replies into the topic', () => {
    expect(parse(fixture('forum-topic'))).toEqual({
      kind: 'messages',
      messages: [{
        text: '/cancel',
        user: '412345678',
        thread: '-1002233445566:27',
        eventId: '864213590',
        target: { chat_id: -1002233445566, reply_to: 318, thread_id: 27 }
      }]
    })
  })

  it('does not treat a reply chain outside a forum as a topic', () => {
    expect(parse(fixture('group-reply'))).toMatchObject({
      messages: [{ text: 'fix the failing test', thread: '-1001987654321', target: { chat_id: -1001987654321, reply_to: 5530, thread_id: null } }]
    })
  })

  it('keeps long text whole (the policy refuses it, not the parser)', () => {
    const long = 'x'.repeat(40_000)
    expect(parse(edited('private-text', (u) => { u.message.text = long }))).toMatchObject({ messages: [{ text: long }] })
  })

  it('accepts update_id 0', () => {
    expect(parse(edited('private-text', (u) => { u.update_id = 0 }))).toMatchObject({ messages: [{ eventId: '0' }] })
  })

  it.each([
    ['a sticker', fixture('sticker'), 'no_text'],
    ['a service message', fixture('group-join'), 'no_text'],
    ['a message from another bot', fixture('bot-sender'), 'bot'],
    ['an anonymous admin', fixture('anonymous-admin'), 'bot'],
    ['a message without a sender', edited('private-text', (u) => { delete u.message.from }), 'no_sender'],
    ['an edited message', fixture('edited-message'), 'edited'],
    ['a channel post', fixture('channel-post'), 'channel_post'],
    ['an edited channel post', edited('channel-post', (u) => { u.edited_channel_post = u.channel_post; delete u.channel_post }), 'edited'],
    ['a button press', fixture('callback-query'), 'callback_query'],
    ['a membership change', fixture('my-chat-member'), 'unsupported_update'],
    ['an update with no content', '{"update_id":864213700}', 'unsupported_update']
  ])('ignores %s', (_name, body, reason) => {
    expect(parse(body)).toEqual({ kind: 'ignore', reason })
  })

  it.each([
    ['not JSON', '{"update_id": 1, "message": ', 'malformed_json'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 'malformed_json'],
    ['a __proto__ key', '{"update_id":1,"message":{"__proto__":{"admin":true}}}', 'malformed_json'],
    ['a constructor.prototype key', '{"update_id":1,"constructor":{"prototype":{"admin":true}}}', 'malformed_json'],
    ['an array', fixture('private-text').replace(/^/, '[').concat(']'), 'not_an_update'],
    ['null', 'null', 'not_an_update'],
    ['a string', '"update"', 'not_an_update'],
    ['no update_id', edited('private-text', (u) => { delete u.update_id }), 'bad_update_id'],
    ['a string update_id', edited('private-text', (u) => { u.update_id = '864213579' }), 'bad_update_id'],
    ['a fractional update_id', edited('private-text', (u) => { u.update_id = 1.5 }), 'bad_update_id'],
    ['a negative update_id', edited('private-text', (u) => { u.update_id = -1 }), 'bad_update_id'],
    ['an oversize update_id', fixture('private-text').replace('864213579', '9'.repeat(300)), 'bad_update_id'],
    ['a null message', edited('private-text', (u) => { u.message = null }), 'bad_message'],
    ['a message array', edited('private-text', (u) => { u.message = [u.message] }), 'bad_message'],
    ['no message_id', edited('private-text', (u) => { delete u.message.message_id }), 'bad_message_id'],
    ['a string message_id', edited('private-text', (u) => { u.message.message_id = '1342' }), 'bad_message_id'],
    ['message_id 0', edited('private-text', (u) => { u.message.message_id = 0 }), 'bad_message_id'],
    ['no chat', edited('private-text', (u) => { delete u.message.chat }), 'bad_chat'],
    ['a string chat id', edited('private-text', (u) => { u.message.chat.id = '412345678' }), 'bad_chat'],
    ['a chat id beyond exact integers', fixture('group-command').replace('-1001987654321', '-9007199254740993'), 'bad_chat'],
    ['a null sender', edited('private-text', (u) => { u.message.from = null }), 'bad_sender'],
    ['a string sender id', edited('private-text', (u) => { u.message.from.id = '412345678' }), 'bad_sender'],
    ['a sender without is_bot', edited('private-text', (u) => { delete u.message.from.is_bot }), 'bad_sender'],
    ['a string is_bot', edited('private-text', (u) => { u.message.from.is_bot = 'false' }), 'bad_sender'],
    ['a numeric text', edited('private-text', (u) => { u.message.text = 42 }), 'bad_text'],
    ['an object caption', edited('photo-caption', (u) => { u.message.caption = { text: 'hi' } }), 'bad_text'],
    ['a string topic id', edited('forum-topic', (u) => { u.message.message_thread_id = '27' }), 'bad_message_thread_id'],
    ['a string is_topic_message', edited('forum-topic', (u) => { u.message.is_topic_message = 'true' }), 'bad_message_thread_id']
  ])('refuses %s', (_name, body, reason) => {
    expect(parse(body)).toEqual({ kind: 'invalid', reason })
  })
})

describe('telegram answer', () => {
  const run = runObject('run_01jdx8y0zq4t7c9g2n5m3k6h1r', Date.UTC(2026, 10, 21, 9, 20), { caller: 'telegram', user: '412345678' })

  it.each([
    ['accepted', { kind: 'accepted', run } as const],
    ['replayed', { kind: 'replayed', run } as const]
  ])('acknowledges %s with an empty 200', (_name, reaction) => {
    expect(telegramAdapter.answer([reaction], request(fixture('private-text')))).toEqual({ status: 200 })
  })

  it('answers a built-in with a sendMessage method replying to the user', () => {
    const answer = telegramAdapter.answer([{ kind: 'notice', text: 'No active runs.' }], request(fixture('private-text')))
    expect(answer.status).toBe(200)
    expect(answer.headers).toEqual({ 'content-type': 'application/json' })
    expect(JSON.parse(answer.body!)).toEqual({ method: 'sendMessage', chat_id: 412345678, text: 'No active runs.', reply_parameters: { message_id: 1342 } })
  })

  it('answers a refusal inside the forum topic', () => {
    const answer = telegramAdapter.answer([{ kind: 'refused', text: 'You may not use this bot.' }], request(fixture('forum-topic')))
    expect(answer.headers).toEqual({ 'content-type': 'application/json' })
    expect(JSON.parse(answer.body!)).toEqual({
      method: 'sendMessage',
      chat_id: -1002233445566,
      message_thread_id: 27,
      text: 'You may not use this bot.',
      reply_parameters: { message_id: 318 }
    })
  })

  it('answers a finished run with its first part', () => {
    const answer = telegramAdapter.answer([{ kind: 'finished', run, parts: ['part one', 'part two'] }], request(fixture('group-command')))
    expect(JSON.parse(answer.body!)).toEqual({ method: 'sendMessage', chat_id: -1001987654321, text: 'part one', reply_parameters: { message_id: 5521 } })
  })

  it('cuts a long notice to one message without splitting a character', () => {
    const text = 'a'.repeat(4094) + '😀'.repeat(10)
    const answer = telegramAdapter.answer([{ kind: 'notice', text }], request(fixture('private-text')))
    const sent = JSON.parse(answer.body!).text as string
    expect(sent).toBe(`${'a'.repeat(4094)}…`)
    expect(sent.length).toBeLessThanOrEqual(4096)
  })

  it('acknowledges an empty notice and no reaction with an empty 200', () => {
    expect(telegramAdapter.answer([{ kind: 'notice', text: ' ' }], request(fixture('private-text')))).toEqual({ status: 200 })
    expect(telegramAdapter.answer([], request(fixture('callback-query')))).toEqual({ status: 200 })
  })

  it('declares its limits and timing', () => {
    expect(telegramAdapter.scheme).toBe('telegram')
    expect(telegramAdapter.limits).toEqual({ chars: 4096, unit: 'utf16', maxMessages: 4 })
    expect(telegramAdapter.syncWaitMs).toBe(0)
    expect(telegramAdapter.answerVisible).toBe(true)
    expect(telegramAdapter.progressIntervalMs).toBe(3000)
  })
})

describe('telegram progress', () => {
  const progress = telegramAdapter.progress!

  it('sends the live message first, then edits it, skipping unchanged text', async () => {
    const { api, ctx, saved } = await harness()
    await progress(ctx, PRIVATE_TARGET, 'Reading src/delivery…', { sent: 0 })
    expect(calls(api.requests)).toEqual([{ method: 'POST', url: SEND, json: sendOf(PRIVATE_TARGET, 'Reading src/delivery…') }])
    expect(api.requests[0]!.headers['content-type']).toBe('application/json')
    expect(saved).toHaveLength(1)
    expect(saved[0]).toEqual({ sent: 0, message_id: 9001, last_text_hash: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) })
    expect(JSON.stringify(saved[0])).not.toContain('Reading')

    await progress(ctx, PRIVATE_TARGET, 'Reading src/delivery…', saved[0]!)
    await progress(ctx, PRIVATE_TARGET, 'Reading src/delivery…  \n', saved[0]!)
    expect(api.requests).toHaveLength(1)

    await progress(ctx, PRIVATE_TARGET, 'Reading src/delivery… found the backoff', saved[0]!)
    expect(calls(api.requests.slice(1))).toEqual([
      { method: 'POST', url: EDIT, json: { chat_id: 412345678, message_id: 9001, text: 'Reading src/delivery… found the backoff' } }
    ])
    expect(saved[1]).toEqual({ sent: 0, message_id: 9001, last_text_hash: expect.any(String) })
    expect(saved[1]!.last_text_hash).not.toBe(saved[0]!.last_text_hash)
  })

  it('sends the live message into the forum topic', async () => {
    const { api, ctx } = await harness()
    await progress(ctx, TOPIC_TARGET, 'Working…', { sent: 0 })
    expect(api.requests[0]!.json).toEqual(sendOf(TOPIC_TARGET, 'Working…'))
  })

  it('sends nothing while the text is empty', async () => {
    const { api, ctx, saved } = await harness()
    await progress(ctx, PRIVATE_TARGET, '  ', { sent: 0 })
    expect(api.requests).toHaveLength(0)
    expect(saved).toHaveLength(0)
  })

  it('takes a 400 on an edit ("message is not modified") as done', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message' } })
    await progress(ctx, PRIVATE_TARGET, 'same as shown', { sent: 0, message_id: 9001, last_text_hash: 'lost-before-save' })
    expect(api.requests.map((r) => r.url)).toEqual([EDIT])
    expect(saved).toEqual([{ sent: 0, message_id: 9001, last_text_hash: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) }])
  })

  it('retries after the Bot API\'s parameters.retry_after and then succeeds', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } } })
    await progress(ctx, PRIVATE_TARGET, 'Working…', { sent: 0 })
    expect(api.requests.map((r) => r.url)).toEqual([SEND, SEND])
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(900)
    expect(saved).toEqual([{ sent: 0, message_id: 9001, last_text_hash: expect.any(String) }])
  })

  it('fails for good when the user blocked the bot', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } })
    const error = await deliveryError(progress(ctx, PRIVATE_TARGET, 'Working…', { sent: 0 }))
    expect(error.retryable).toBe(false)
    expect(error.status).toBe(403)
    expect(error.message).not.toContain('blocked')
    expect(api.requests).toHaveLength(1)
    expect(saved).toHaveLength(0)
  })

  it('fails for good when sendMessage answers without a message id', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status: 200, body: { ok: true, result: { chat: { id: 412345678 } } } })
    const error = await deliveryError(progress(ctx, PRIVATE_TARGET, 'Working…', { sent: 0 }))
    expect(error.retryable).toBe(false)
    expect(saved).toHaveLength(0)
  })
})

describe('telegram deliver', () => {
  it('sends every part as a reply, in order, saving after each', async () => {
    const { api, ctx, saved } = await harness()
    await telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['one', 'two', 'three'], { sent: 0 })
    expect(calls(api.requests)).toEqual([
      { method: 'POST', url: SEND, json: sendOf(PRIVATE_TARGET, 'one') },
      { method: 'POST', url: SEND, json: sendOf(PRIVATE_TARGET, 'two') },
      { method: 'POST', url: SEND, json: sendOf(PRIVATE_TARGET, 'three') }
    ])
    expect(saved).toEqual([{ sent: 1 }, { sent: 2 }, { sent: 3 }])
  })

  it('sends into the forum topic', async () => {
    const { api, ctx } = await harness()
    await telegramAdapter.deliver(ctx, TOPIC_TARGET, ['done'], { sent: 0 })
    expect(calls(api.requests)).toEqual([{ method: 'POST', url: SEND, json: sendOf(TOPIC_TARGET, 'done') }])
  })

  it('replaces the live message with part 1 and sends the rest', async () => {
    const { api, ctx, saved } = await harness()
    await telegramAdapter.progress!(ctx, PRIVATE_TARGET, 'Working…', { sent: 0 })
    await telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['final one', 'final two'], saved[0]!)
    expect(calls(api.requests)).toEqual([
      { method: 'POST', url: SEND, json: sendOf(PRIVATE_TARGET, 'Working…') },
      { method: 'POST', url: EDIT, json: { chat_id: 412345678, message_id: 9001, text: 'final one' } },
      { method: 'POST', url: SEND, json: sendOf(PRIVATE_TARGET, 'final two') }
    ])
    expect(saved.slice(1)).toEqual([
      { sent: 1, message_id: 9001, last_text_hash: saved[0]!.last_text_hash },
      { sent: 2, message_id: 9001, last_text_hash: saved[0]!.last_text_hash }
    ])
  })

  it('does not edit the live message when it already shows part 1', async () => {
    const { api, ctx, saved } = await harness()
    await telegramAdapter.progress!(ctx, PRIVATE_TARGET, 'The answer is 42.', { sent: 0 })
    await telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['The answer is 42.'], saved[0]!)
    expect(api.requests.map((r) => r.url)).toEqual([SEND])
    expect(saved.at(-1)).toMatchObject({ sent: 1, message_id: 9001 })
  })

  it('sends part 1 as a new message when the live message cannot be edited', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' } })
    await telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['final one', 'final two'], { sent: 0, message_id: 777, last_text_hash: 'AAAAAAAAAAAAAAAA' })
    expect(calls(api.requests)).toEqual([
      { method: 'POST', url: EDIT, json: { chat_id: 412345678, message_id: 777, text: 'final one' } },
      { method: 'POST', url: SEND, json: sendOf(PRIVATE_TARGET, 'final one') },
      { method: 'POST', url: SEND, json: sendOf(PRIVATE_TARGET, 'final two') }
    ])
    expect(saved.map((p) => p.sent)).toEqual([1, 2])
  })

  it('resumes after the parts already sent', async () => {
    const { api, ctx, saved } = await harness()
    await telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['one', 'two', 'three'], { sent: 2, message_id: 9001 })
    expect(calls(api.requests)).toEqual([{ method: 'POST', url: SEND, json: sendOf(PRIVATE_TARGET, 'three') }])
    expect(saved).toEqual([{ sent: 3, message_id: 9001 }])
  })

  it('never sends a part twice across a failed and a retried delivery', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue(
      { status: 200, body: { ok: true, result: { message_id: 9001 } } },
      { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: not enough rights to send text messages to the chat' } }
    )
    const parts = ['one', 'two', 'three']
    const error = await deliveryError(telegramAdapter.deliver(ctx, PRIVATE_TARGET, parts, { sent: 0 }))
    expect(error.retryable).toBe(false)
    expect(saved).toEqual([{ sent: 1 }])
    await telegramAdapter.deliver(ctx, PRIVATE_TARGET, parts, saved.at(-1)!)
    const texts = api.requests.map((r) => (r.json as { text: string }).text)
    expect(texts).toEqual(['one', 'two', 'two', 'three'])
    expect(saved).toEqual([{ sent: 1 }, { sent: 2 }, { sent: 3 }])
  })

  it('waits out a 429 with Retry-After and succeeds', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1' } })
    await telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['one'], { sent: 0 })
    expect(api.requests.map((r) => r.url)).toEqual([SEND, SEND])
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(900)
    expect(saved).toEqual([{ sent: 1 }])
  })

  it('waits out the Bot API\'s parameters.retry_after and succeeds', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } } })
    await telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['one'], { sent: 0 })
    expect(api.requests).toHaveLength(2)
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(900)
    expect(saved).toEqual([{ sent: 1 }])
  })

  it('leaves a long retry_after to the delivery service, retryable, with the wait', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 60', parameters: { retry_after: 60 } } })
    const error = await deliveryError(telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['one'], { sent: 0 }))
    expect(error.retryable).toBe(true)
    expect(error.retryAfterMs).toBe(60_000)
    expect(api.requests).toHaveLength(1)
    expect(saved).toHaveLength(0)
  })

  it('reports a persistent 500 as retryable', async () => {
    const { api, ctx, saved } = await harness()
    const failure = { status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } }
    api.enqueue(failure, failure, failure)
    const error = await deliveryError(telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['one', 'two'], { sent: 0 }))
    expect(error.retryable).toBe(true)
    expect(error.status).toBe(500)
    expect(api.requests).toHaveLength(3)
    expect(saved).toHaveLength(0)
  })

  it.each([
    [400, 'Bad Request: chat not found'],
    [401, 'Unauthorized'],
    [403, 'Forbidden: bot was blocked by the user']
  ])('reports %i as not retryable, after one attempt', async (status, description) => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status, body: { ok: false, error_code: status, description } })
    const error = await deliveryError(telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['one', 'two'], { sent: 0 }))
    expect(error.retryable).toBe(false)
    expect(error.status).toBe(status)
    expect(error.message).not.toContain(description)
    expect(api.requests).toHaveLength(1)
    expect(saved).toHaveLength(0)
  })

  it('treats a 200 that says ok: false as a failure', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status: 200, body: { ok: false, error_code: 400, description: 'Bad Request: message text is empty' } })
    const error = await deliveryError(telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['one'], { sent: 0 }))
    expect(error.retryable).toBe(false)
    expect(error.message).toMatch(/sendMessage failed with Bot API error 400/)
    expect(saved).toHaveLength(0)
  })

  it('treats a 2xx that is not a Bot API answer as a failure', async () => {
    const { api, ctx } = await harness()
    api.enqueue({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>captive portal</html>' })
    const error = await deliveryError(telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['one'], { sent: 0 }))
    expect(error.retryable).toBe(false)
  })

  it('reports a timeout as retryable', async () => {
    const { api, ctx, saved } = await harness({ http: { timeoutMs: 200, attempts: 1 } })
    api.enqueue({ delayMs: 3000 })
    const started = Date.now()
    const error = await deliveryError(telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['one'], { sent: 0 }))
    expect(error.retryable).toBe(true)
    expect(error.message).toMatch(/timed out/)
    expect(Date.now() - started).toBeLessThan(2500)
    expect(saved).toHaveLength(0)
  })

  it('refuses to call without a usable bot token, naming no secret', async () => {
    for (const token of [undefined, '7012345678:AAH/../../x', 'not-a-token']) {
      const { api, ctx } = await harness()
      ctx.caller = { ...ctx.caller, reply: { api_base: api.url, ...(token !== undefined ? { token } : {}) } }
      const error = await deliveryError(telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['one'], { sent: 0 }))
      expect(error.retryable).toBe(false)
      if (token !== undefined) expect(error.message).not.toContain(token)
      expect(api.requests).toHaveLength(0)
    }
  })

  it('names api.telegram.org by default', async () => {
    const { ctx } = await harness()
    ctx.caller = { ...ctx.caller, reply: {} }
    const error = await deliveryError(telegramAdapter.deliver(ctx, PRIVATE_TARGET, ['one'], { sent: 0 }))
    expect(error.message).toMatch(/^api\.telegram\.org: /)
  })

  it('refuses a stored target that is not a Telegram chat', async () => {
    const { api, ctx } = await harness()
    for (const target of [{ chat_id: '412345678', reply_to: 1342, thread_id: null }, { chat_id: 412345678, reply_to: 0, thread_id: null }, { chat_id: 412345678, reply_to: 1, thread_id: 'x' }]) {
      const error = await deliveryError(telegramAdapter.deliver(ctx, target, ['one'], { sent: 0 }))
      expect(error.retryable).toBe(false)
    }
    expect(api.requests).toHaveLength(0)
  })

  it('delivers to the target parse produced', async () => {
    const { api, ctx } = await harness()
    const parsed = parse(fixture('forum-topic'))
    if (parsed.kind !== 'messages') throw new Error('expected a message')
    await telegramAdapter.deliver(ctx, parsed.messages[0]!.target, ['done'], { sent: 0 })
    expect(api.requests[0]!.json).toEqual(sendOf(TOPIC_TARGET, 'done'))
  })
})
