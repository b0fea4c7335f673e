import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { telegramAdapter } from '../../src/platforms/telegram/index.ts'
import type { CallerConfig, ReplyConfig } from '../../src/config/schema.ts'
import type { InboundMessage, InboundRequest, ParseResult, PermissionAsk, Reaction, ReplyTarget } from '../../src/platforms/adapter.ts'
import { permissionText } from '../../src/delivery/permission-text.ts'
import { startFakeApi, type FakeApi } from '../helpers/fake-api.ts'
import { deliveryContext, deliveryError } from '../helpers/delivery-context.ts'
import { platformGateway } from '../helpers/platform-gateway.ts'
import { TELEGRAM_SECRET, telegramRequest } from '../helpers/platform-sign.ts'

const TOKEN = '7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'
const SEND = `/bot${TOKEN}/sendMessage`
const RUN_ID = 'run_01JD2X7Q9R8S6T5V4W3X2Y1Z0A'
const PID = 'k3m9x2qa'
const PRIVATE_TARGET: ReplyTarget = { chat_id: 412345678, reply_to: 1342, thread_id: null }
const TOPIC_TARGET: ReplyTarget = { chat_id: -1002233445566, reply_to: 318, thread_id: 27 }

function ask (patch: Partial<Omit<PermissionAsk, 'text'>> = {}): PermissionAsk {
  const base = { pid: PID, runId: RUN_ID, tool: 'Bash', summary: 'npm test', expiresAt: '2026-11-21T09:25:00.000Z', ...patch }
  return { ...base, text: permissionText(base) }
}

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
  return { scheme: 'telegram', secrets: ['tg-secret-token-0123456789'], users: ['412345678'], commands: ['run'], default_command: 'run', reply: { token: TOKEN, ...reply } }
}

function request (body: string): InboundRequest {
  return {
    rawBody: Buffer.from(body),
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'tg-secret-token-0123456789' },
    callerId: 'telegram',
    caller: caller(),
    now: Date.UTC(2026, 10, 21, 9, 21)
  }
}

function parse (body: string): ParseResult {
  return telegramAdapter.parse(request(body))
}

function onlyMessage (result: ParseResult): InboundMessage {
  expect(result.kind).toBe('messages')
  if (result.kind !== 'messages') throw new Error('not messages')
  expect(result.messages).toHaveLength(1)
  return result.messages[0]!
}

async function botApi (): Promise<FakeApi> {
  const api = await startFakeApi({ status: 200, body: { ok: true, result: true } })
  api.route(/\/sendMessage$/, () => ({ status: 200, body: { ok: true, result: { message_id: 9001, chat: { id: 412345678 }, date: 1763719300 } } }))
  return api
}

function answerBody (reactions: Reaction[], body = fixture('permission-press')): unknown {
  const answer = telegramAdapter.answer(reactions, request(body))
  expect(answer.status).toBe(200)
  expect(answer.headers?.['content-type']).toBe('application/json')
  return JSON.parse(answer.body!)
}

describe('telegram askPermission', () => {
  it('sends the question in reply to the user\'s message with Allow and Deny inline buttons', async () => {
    const api = await botApi()
    const { ctx } = deliveryContext('telegram', caller({ api_base: api.url }), 'dlv_tg_perm')
    await telegramAdapter.askPermission!(ctx, PRIVATE_TARGET, ask())

    expect(api.requests).toHaveLength(1)
    const [sent] = api.requests
    expect(sent!.method).toBe('POST')
    // The bot token is the path's credential, and only there.
    expect(sent!.url).toBe(SEND)
    expect(sent!.body).not.toContain(TOKEN)
    expect(sent!.json).toEqual({
      chat_id: 412345678,
      text: ask().text,
      reply_parameters: { message_id: 1342, allow_sending_without_reply: true },
      reply_markup: {
        inline_keyboard: [[
          { text: 'Allow', callback_data: `perm:allow:${PID}` },
          { text: 'Deny', callback_data: `perm:deny:${PID}` }
        ]]
      }
    })
    // Plain text: the summary is never read as markup.
    expect((sent!.json as Record<string, unknown>).parse_mode).toBeUndefined()
  })

  it('shows the tool, the summary, the expiry and both typed commands in the text', async () => {
    const api = await botApi()
    const { ctx } = deliveryContext('telegram', caller({ api_base: api.url }), 'dlv_tg_perm')
    await telegramAdapter.askPermission!(ctx, PRIVATE_TARGET, ask({ summary: 'rm -rf **/*.tmp' }))
    const text = (api.requests[0]!.json as { text: string }).text
    expect(text).toContain('Bash: rm -rf **/*.tmp')
    expect(text).toContain('09:25 UTC')
    expect(text).toContain(`/allow ${PID}`)
    expect(text).toContain(`/deny ${PID}`)
  })

  it('keeps callback_data within Telegram\'s 64 bytes for the longest id', async () => {
    const api = await botApi()
    const { ctx } = deliveryContext('telegram', caller({ api_base: api.url }), 'dlv_tg_perm')
    await telegramAdapter.askPermission!(ctx, PRIVATE_TARGET, ask({ pid: 'z'.repeat(16) }))
    const keyboard = (api.requests[0]!.json as any).reply_markup.inline_keyboard.flat() as Array<{ callback_data: string }>
    expect(keyboard.map((b) => b.callback_data)).toEqual([`perm:allow:${'z'.repeat(16)}`, `perm:deny:${'z'.repeat(16)}`])
    for (const b of keyboard) expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64)
  })

  it('asks in the forum topic the run came from', async () => {
    const api = await botApi()
    const { ctx } = deliveryContext('telegram', caller({ api_base: api.url }), 'dlv_tg_perm')
    await telegramAdapter.askPermission!(ctx, TOPIC_TARGET, ask())
    expect(api.requests[0]!.json).toMatchObject({ chat_id: -1002233445566, message_thread_id: 27, reply_parameters: { message_id: 318 } })
  })

  it('fails like a delivery when the Bot API refuses, without naming the token', async () => {
    const api = await startFakeApi({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' } })
    const { ctx } = deliveryContext('telegram', caller({ api_base: api.url }), 'dlv_tg_perm', { attempts: 1 })
    const error = await deliveryError(telegramAdapter.askPermission!(ctx, PRIVATE_TARGET, ask()))
    expect(error.retryable).toBe(false)
    expect(error.message).not.toContain(TOKEN)
  })

  it('round trip: a press on each button it sent parses into that button\'s command', async () => {
    const api = await botApi()
    const { ctx } = deliveryContext('telegram', caller({ api_base: api.url }), 'dlv_tg_perm')
    await telegramAdapter.askPermission!(ctx, TOPIC_TARGET, ask())
    const buttons = (api.requests[0]!.json as any).reply_markup.inline_keyboard.flat() as Array<{ callback_data: string }>
    const texts = buttons.map((b) => onlyMessage(parse(edited('permission-press', (u) => { u.callback_query.data = b.callback_data }))).text)
    expect(texts).toEqual([`/allow ${PID}`, `/deny ${PID}`])
  })
})

describe('telegram permission button presses', () => {
  it('reads a press as /allow from the presser, in the question\'s topic, replying to the question', () => {
    expect(parse(fixture('permission-press'))).toEqual({
      kind: 'messages',
      messages: [{
        text: `/allow ${PID}`,
        user: '412345678',
        // The same key a message in that topic gets.
        thread: '-1002233445566:27',
        eventId: '1770991728347652188',
        target: { chat_id: -1002233445566, reply_to: 1371, thread_id: 27 }
      }]
    })
  })

  it('keys a press in a private chat to the chat, as messages there are', () => {
    const body = edited('permission-press', (u) => {
      u.callback_query.data = `perm:deny:${PID}`
      u.callback_query.message.chat = { id: 412345678, first_name: 'Ana', type: 'private' }
      delete u.callback_query.message.message_thread_id
      delete u.callback_query.message.is_topic_message
    })
    expect(onlyMessage(parse(body))).toMatchObject({ text: `/deny ${PID}`, thread: '412345678', target: { chat_id: 412345678, reply_to: 1371, thread_id: null } })
  })

  it('takes the presser as the user, whoever started the run', () => {
    expect(onlyMessage(parse(edited('permission-press', (u) => { u.callback_query.from.id = 555000111 }))).user).toBe('555000111')
  })

  it('answers a press with answerCallbackQuery showing the notice, so the spinner stops', () => {
    expect(answerBody([{ kind: 'notice', text: `Allowed Bash for ${RUN_ID}` }])).toEqual({
      method: 'answerCallbackQuery',
      callback_query_id: '1770991728347652188',
      text: `Allowed Bash for ${RUN_ID}`
    })
  })

  it('shows a refusal as an alert the presser must dismiss', () => {
    expect(answerBody([{ kind: 'refused', text: 'Only the user who started the run can answer.' }])).toEqual({
      method: 'answerCallbackQuery',
      callback_query_id: '1770991728347652188',
      text: 'Only the user who started the run can answer.',
      show_alert: true
    })
  })

  it('cuts the text to Telegram\'s 200 characters without splitting a character', () => {
    const body = answerBody([{ kind: 'notice', text: 'a'.repeat(198) + '😀'.repeat(5) }]) as { text: string }
    expect(body.text).toBe(`${'a'.repeat(198)}…`)
    expect(body.text.length).toBeLessThanOrEqual(200)
  })

  it('still ends the press when the gateway has nothing to say', () => {
    expect(answerBody([])).toEqual({ method: 'answerCallbackQuery', callback_query_id: '1770991728347652188' })
    expect(answerBody([{ kind: 'notice', text: '  ' }])).toEqual({ method: 'answerCallbackQuery', callback_query_id: '1770991728347652188' })
  })

  it('answers an ordinary message as before, not as a press', () => {
    const answer = telegramAdapter.answer([{ kind: 'notice', text: 'hi' }], request(fixture('private-text')))
    expect(JSON.parse(answer.body!).method).toBe('sendMessage')
  })

  it.each([
    ['another bot feature\'s button', fixture('callback-query')],
    ['a foreign prefix', edited('permission-press', (u) => { u.callback_query.data = `confirm:allow:${PID}` })],
    ['an unknown decision', edited('permission-press', (u) => { u.callback_query.data = `perm:maybe:${PID}` })],
    ['an upper-case id', edited('permission-press', (u) => { u.callback_query.data = 'perm:allow:K3M9X2QA' })],
    ['a too short id', edited('permission-press', (u) => { u.callback_query.data = 'perm:allow:k3m' })],
    ['a too long id', edited('permission-press', (u) => { u.callback_query.data = `perm:allow:${'k'.repeat(17)}` })],
    ['trailing text', edited('permission-press', (u) => { u.callback_query.data = `perm:allow:${PID} now` })],
    ['a trailing newline', edited('permission-press', (u) => { u.callback_query.data = `perm:allow:${PID}\n` })],
    ['no data (a game button)', edited('permission-press', (u) => { delete u.callback_query.data; u.callback_query.game_short_name = 'g' })],
    ['numeric data', edited('permission-press', (u) => { u.callback_query.data = 12345678 })],
    ['an inline-mode message (no chat)', edited('permission-press', (u) => { delete u.callback_query.message; u.callback_query.inline_message_id = 'AAAAAEx' })]
  ])('ignores %s: never a command', (_name, body) => {
    expect(parse(body)).toEqual({ kind: 'ignore', reason: 'callback_query' })
    expect(telegramAdapter.answer([], request(body))).toEqual({ status: 200 })
  })

  it('ignores a press by a bot', () => {
    expect(parse(edited('permission-press', (u) => { u.callback_query.from.is_bot = true }))).toEqual({ kind: 'ignore', reason: 'bot' })
  })

  it.each([
    ['a callback_query that is not an object', edited('permission-press', (u) => { u.callback_query = 'perm:allow:k3m9x2qa' }), 'bad_callback_query'],
    ['no query id', edited('permission-press', (u) => { delete u.callback_query.id }), 'bad_callback_query_id'],
    ['a numeric query id', edited('permission-press', (u) => { u.callback_query.id = 1770991728347652188 }), 'bad_callback_query_id'],
    ['an oversize query id', edited('permission-press', (u) => { u.callback_query.id = '1'.repeat(65) }), 'bad_callback_query_id'],
    ['a query id with spaces', edited('permission-press', (u) => { u.callback_query.id = '177 099' }), 'bad_callback_query_id'],
    ['no sender', edited('permission-press', (u) => { delete u.callback_query.from }), 'bad_sender'],
    ['a string sender id', edited('permission-press', (u) => { u.callback_query.from.id = '412345678' }), 'bad_sender'],
    ['an imprecise sender id', edited('permission-press', (u) => { u.callback_query.from.id = 2 ** 60 }), 'bad_sender'],
    ['a message without an id', edited('permission-press', (u) => { delete u.callback_query.message.message_id }), 'bad_message_id'],
    ['a message without a chat', edited('permission-press', (u) => { delete u.callback_query.message.chat }), 'bad_chat'],
    ['a bad topic id', edited('permission-press', (u) => { u.callback_query.message.message_thread_id = -1 }), 'bad_message_thread_id']
  ])('refuses our button with %s as invalid', (_name, body, reason) => {
    expect(parse(body)).toEqual({ kind: 'invalid', reason })
  })
})

describe('telegram permission presses through the webhook route', () => {
  it('hands the callback_query update to parse unchanged: a stranger\'s press is answered with an alert', async () => {
    const api = await botApi()
    const gw = await platformGateway({
      callers: `{ telegram: { scheme: telegram, secrets: [${TELEGRAM_SECRET}], users: ["412345678"], commands: [run], default_command: run, reply: { token: "${TOKEN}", api_base: "${api.url}" } } }`
    })
    const signed = telegramRequest(JSON.parse(edited('permission-press', (u) => { u.callback_query.from.id = 555000111 })))

    const answer = await gw.post('/v1/hooks/telegram', signed.body, signed.headers)

    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.text)).toMatchObject({ method: 'answerCallbackQuery', callback_query_id: '1770991728347652188', show_alert: true })
    expect(JSON.parse(answer.text).text).toContain('not allowed')

    // The right user's press reaches the gateway's /allow and is answered the same way, whatever it says.
    const own = telegramRequest(JSON.parse(edited('permission-press', (u) => { u.update_id += 1; u.callback_query.id = '1770991728347652199' })))
    const ownAnswer = await gw.post('/v1/hooks/telegram', own.body, own.headers)
    expect(ownAnswer.status).toBe(200)
    expect(JSON.parse(ownAnswer.text)).toMatchObject({ method: 'answerCallbackQuery', callback_query_id: '1770991728347652199', text: expect.any(String) })
  })
})
