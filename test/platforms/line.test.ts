import { describe, it, expect, onTestFinished } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { lineAdapter } from '../../src/platforms/line/index.ts'
import { pushRetryKey, uuidV5 } from '../../src/platforms/line/retry-key.ts'
import type { DeliveryContext, DeliveryProgress, InboundRequest, ParseResult, Reaction, ReplyTarget } from '../../src/platforms/adapter.ts'
import type { CallerConfig } from '../../src/config/schema.ts'
import { createHttpOutbound, type HttpOutboundOptions } from '../../src/delivery/http-outbound.ts'
import { DeliveryError, type Outbound } from '../../src/delivery/outbound.ts'
import { startFakeApi, type FakeApi } from '../helpers/fake-api.ts'
import { runObject } from '../helpers/run-object.ts'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'platforms', 'line')
const NOW = 1_763_733_022_500
const CHANNEL_TOKEN = 'line-channel-access-token-Zk9q2Lw8'
const USER = 'U4af4980629d4a0b7c9e1f2a3b4c5d6e7'
const GROUP = 'Ca56f94637c3f0b1e2d4a6c8e0f2b4d6a'
const ROOM = 'Ra8dc6e45f9b1c3d5e7f9a1b3c5d7e9f1'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function caller (reply: CallerConfig['reply'] = {}): CallerConfig {
  return { scheme: 'line', secrets: ['line-channel-secret-0123456789ab'], users: [USER], reply: { token: CHANNEL_TOKEN, ...reply } }
}

function fixture (name: string): any {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'))
}

function request (body: string | Buffer): InboundRequest {
  return {
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
    headers: { 'content-type': 'application/json; charset=utf-8' },
    callerId: 'line',
    caller: caller(),
    now: NOW
  }
}

function parse (body: unknown): ParseResult {
  return lineAdapter.parse(request(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)))
}

/** The one-event text fixture with its event changed by `edit`. */
function withEvent (edit: (event: any) => void, name = 'text-user.json'): unknown {
  const payload = fixture(name)
  edit(payload.events[0])
  return payload
}

function texts (result: ParseResult): string[] {
  return result.kind === 'messages' ? result.messages.map((m) => m.text) : []
}

const ACK = { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }

describe('line parse', () => {
  it('reads a 1:1 text message: text, user, thread, webhookEventId, reply target', () => {
    expect(parse(fixture('text-user.json'))).toEqual({
      kind: 'messages',
      messages: [{
        text: 'Why is the build failing on main? 🙂',
        user: USER,
        thread: USER,
        eventId: '01FZ74A0TDDPYRVKNK77XKC3ZR',
        target: { replyToken: '757913772c4646b784d4b7ce46d12671', receivedAt: NOW, to: USER, chat: 'user' }
      }]
    })
  })

  it('reads a group message addressed to the bot: the mention is stripped, the group is thread and target', () => {
    expect(parse(fixture('text-group-mention.json'))).toEqual({
      kind: 'messages',
      messages: [{
        text: '/confirm K7Q2XD',
        user: USER,
        thread: GROUP,
        eventId: '01HB6R3W0K8YJ1P5Z4QG2V9N7M',
        target: { replyToken: 'b60d432864f44d079f6d8efe86cf404b', receivedAt: NOW, to: GROUP, chat: 'group' }
      }]
    })
  })

  it('strips only the bot\'s mentions, counting in UTF-16 units (the emoji before it is 2)', () => {
    expect(texts(parse(fixture('text-group-mentions-mixed.json')))).toEqual(['🙂  ask @Ana about the @All failing tests'])
  })

  it('reads a room message with the room as thread and target', () => {
    const result = parse(fixture('text-room.json'))
    expect(result.kind === 'messages' && result.messages[0]).toEqual({
      text: '/status',
      user: USER,
      thread: ROOM,
      eventId: '01HB6R5Y9N2KQ4W7E1T3R6Y8U0',
      target: { replyToken: '0f3779fba3b349968c5d07db31eab56f', receivedAt: NOW, to: ROOM, chat: 'room' }
    })
  })

  it('reads several message events of one request in order and skips the other events', () => {
    const result = parse(fixture('mixed-events.json'))
    expect(result.kind).toBe('messages')
    if (result.kind !== 'messages') return
    expect(result.messages.map((m) => [m.text, m.eventId, m.target.replyToken])).toEqual([
      ['/new', '01HB6R6A0000000000000000M1', 'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2'],
      ['run the unit tests', '01HB6R6A0000000000000000M2', 'd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4']
    ])
  })

  it('answers the console\'s Verify request (no events) with 200', () => {
    expect(parse(fixture('verify.json'))).toEqual({ kind: 'ignore', reason: 'no_events', answer: ACK })
  })

  it.each(['follow.json', 'unfollow.json', 'join.json', 'postback.json', 'image.json', 'standby.json'])('ignores %s: no message to run', (name) => {
    expect(parse(fixture(name))).toEqual({ kind: 'ignore', reason: 'no_message_events', answer: ACK })
  })

  it('skips an event type it does not know (LINE adds them without notice)', () => {
    expect(parse(withEvent((e) => { e.type = 'membershipRenewed'; delete e.message }))).toMatchObject({ kind: 'ignore', reason: 'no_message_events' })
  })

  it('skips a message whose sender has no user id: nobody to check against users', () => {
    expect(parse(withEvent((e) => { delete e.source.userId }, 'text-group-mention.json'))).toMatchObject({ kind: 'ignore', reason: 'no_message_events' })
  })

  it('has no reply token to offer when the event carries none', () => {
    const result = parse(withEvent((e) => { delete e.replyToken }))
    expect(result.kind === 'messages' && result.messages[0]!.target.replyToken).toBe(null)
  })

  it('passes every built-in command through as typed, in 1:1 chats and after a mention of the bot in groups', () => {
    for (const command of ['/help', '/status', '/cancel', '/new', '/confirm K7Q2XD', '/allow p1', '/deny p1']) {
      expect(texts(parse(withEvent((e) => { e.message.text = command })))).toEqual([command])
      const mentioned = withEvent((e) => {
        e.message.text = `@hookgate ${command}`
        e.message.mention.mentionees[0].length = '@hookgate'.length
      }, 'text-group-mention.json')
      expect(texts(parse(mentioned))).toEqual([command])
    }
  })

  it('keeps a mention that is not the bot\'s', () => {
    const payload = withEvent((e) => { e.message.mention.mentionees[0].isSelf = false }, 'text-group-mention.json')
    expect(texts(parse(payload))).toEqual(['@hookgate /confirm K7Q2XD'])
  })

  it('keeps a long text whole (the policy refuses it, with a reason the user sees)', () => {
    const long = 'y'.repeat(20_000)
    expect(texts(parse(withEvent((e) => { e.message.text = long })))).toEqual([long])
  })

  const invalid: Array<[string, unknown, string]> = [
    ['a body that is not JSON', '{"destination":', 'malformed_json'],
    ['a __proto__ key', '{"destination":"U1","events":[],"__proto__":{"x":1}}', 'malformed_json'],
    ['a constructor.prototype key', '{"destination":"U1","events":[{"constructor":{"prototype":{"x":1}}}]}', 'malformed_json'],
    ['a JSON array', [], 'missing_events'],
    ['JSON null', null, 'missing_events'],
    ['no events', { destination: 'Uf2a9c8d7e6b5a4f3e2d1c0b9a8f7e6d5c' }, 'missing_events'],
    ['events null', { destination: 'Uf2a9c8d7e6b5a4f3e2d1c0b9a8f7e6d5c', events: null }, 'missing_events'],
    ['events an object', { destination: 'Uf2a9c8d7e6b5a4f3e2d1c0b9a8f7e6d5c', events: {} }, 'missing_events'],
    ['no destination', { events: [] }, 'bad_destination'],
    ['a numeric destination', { destination: 42, events: [] }, 'bad_destination'],
    ['an event that is null', { destination: 'U1', events: [null] }, 'bad_event'],
    ['an event that is an array', { destination: 'U1', events: [[]] }, 'bad_event'],
    ['an event without a type', withEvent((e) => { delete e.type }), 'bad_event'],
    ['a numeric event type', withEvent((e) => { e.type = 1 }), 'bad_event'],
    ['a numeric mode', withEvent((e) => { e.mode = 0 }), 'bad_mode'],
    ['a message that is null', withEvent((e) => { e.message = null }), 'bad_message'],
    ['a message without a type', withEvent((e) => { delete e.message.type }), 'bad_message'],
    ['a text that is a number', withEvent((e) => { e.message.text = 5 }), 'bad_text'],
    ['a text that is missing', withEvent((e) => { delete e.message.text }), 'bad_text'],
    ['no webhookEventId', withEvent((e) => { delete e.webhookEventId }), 'bad_webhook_event_id'],
    ['an empty webhookEventId', withEvent((e) => { e.webhookEventId = '' }), 'bad_webhook_event_id'],
    ['a numeric webhookEventId', withEvent((e) => { e.webhookEventId = 1 }), 'bad_webhook_event_id'],
    ['an oversize webhookEventId', withEvent((e) => { e.webhookEventId = 'A'.repeat(257) }), 'bad_webhook_event_id'],
    ['a webhookEventId with spaces', withEvent((e) => { e.webhookEventId = '01FZ74A0 TDDPYRVK' }), 'bad_webhook_event_id'],
    ['a numeric replyToken', withEvent((e) => { e.replyToken = 7 }), 'bad_reply_token'],
    ['an oversize replyToken', withEvent((e) => { e.replyToken = 'f'.repeat(300) }), 'bad_reply_token'],
    ['no source', withEvent((e) => { delete e.source }), 'bad_source'],
    ['a source that is an array', withEvent((e) => { e.source = [] }), 'bad_source'],
    ['an unknown source type', withEvent((e) => { e.source.type = 'channel' }), 'bad_source'],
    ['a user source with a numeric userId', withEvent((e) => { e.source.userId = 12 }), 'bad_source'],
    ['an oversize userId', withEvent((e) => { e.source.userId = 'U' + 'a'.repeat(300) }), 'bad_source'],
    ['a group source without groupId', withEvent((e) => { delete e.source.groupId }, 'text-group-mention.json'), 'bad_source'],
    ['a room source with a null roomId', withEvent((e) => { e.source.roomId = null }, 'text-room.json'), 'bad_source'],
    ['mentionees that are not a list', withEvent((e) => { e.message.mention.mentionees = {} }, 'text-group-mention.json'), 'bad_mention'],
    ['a mention that is null', withEvent((e) => { e.message.mention = null }, 'text-group-mention.json'), 'bad_mention'],
    ['a negative mention index', withEvent((e) => { e.message.mention.mentionees[0].index = -1 }, 'text-group-mention.json'), 'bad_mention'],
    ['a fractional mention length', withEvent((e) => { e.message.mention.mentionees[0].length = 1.5 }, 'text-group-mention.json'), 'bad_mention'],
    ['a mention past the end of the text', withEvent((e) => { e.message.mention.mentionees[0].index = 20 }, 'text-group-mention.json'), 'bad_mention'],
    ['a mention index as a string', withEvent((e) => { e.message.mention.mentionees[0].index = '0' }, 'text-group-mention.json'), 'bad_mention']
  ]
  it.each(invalid)('refuses %s', (_label, body, reason) => {
    expect(parse(body)).toEqual({ kind: 'invalid', reason })
  })

  it('refuses the whole request when one of its events is malformed', () => {
    const payload = fixture('mixed-events.json')
    payload.events[3].webhookEventId = 42
    expect(parse(payload)).toEqual({ kind: 'invalid', reason: 'bad_webhook_event_id' })
  })

  it('refuses bytes that are not UTF-8', () => {
    const bytes = Buffer.from(JSON.stringify(fixture('text-user.json')))
    expect(parse(Buffer.concat([bytes.subarray(0, 20), Buffer.from([0xc3, 0x28]), bytes.subarray(20)]))).toEqual({ kind: 'invalid', reason: 'not_utf8' })
  })

  it('never throws, whatever JSON arrives', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (events, event) => {
      for (const body of [{ destination: 'U1', events }, { destination: 'U1', events: [event] }]) {
        expect(['messages', 'ignore', 'invalid']).toContain(parse(body).kind)
      }
    }), { numRuns: 300 })
  })
})

describe('line answer', () => {
  const run = runObject('run_01HB6R3W0K8YJ1P5Z4QG2V9N7M', NOW)
  const reactions: Array<[string, Reaction]> = [
    ['accepted', { kind: 'accepted', run }],
    ['finished', { kind: 'finished', run: { ...run, status: 'succeeded' }, parts: ['done'] }],
    ['replayed', { kind: 'replayed', run }],
    ['notice', { kind: 'notice', text: 'Reply /confirm K7Q2XD within 5 minutes' }],
    ['refused', { kind: 'refused', text: 'Sorry, not allowed.' }]
  ]
  it.each(reactions)('acknowledges %s with 200 and an empty JSON object (LINE ignores the body)', (_kind, reaction) => {
    expect(lineAdapter.answer([reaction], request('{}'))).toEqual(ACK)
  })

  it('acknowledges several messages with one 200', () => {
    expect(lineAdapter.answer(reactions.map(([, r]) => r), request('{}'))).toEqual(ACK)
  })
})

describe('line adapter settings', () => {
  it('splits at 5000 UTF-16 units into at most 5 messages, waits for nothing, shows nothing in the answer', () => {
    expect(lineAdapter.limits).toEqual({ chars: 5000, unit: 'utf16', maxMessages: 5 })
    expect(lineAdapter.syncWaitMs).toBe(0)
    expect(lineAdapter.answerVisible).toBe(false)
    expect(lineAdapter.scheme).toBe('line')
    expect(lineAdapter.progressIntervalMs).toBe(55_000)
  })
})

describe('line retry key', () => {
  it('is RFC 9562 version 5 (the RFC\'s own example: www.example.com in the DNS namespace)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2')
  })

  it('is a UUID, the same for the same delivery and part, different otherwise', () => {
    expect(pushRetryKey('dlv_a', 0)).toMatch(UUID)
    expect(pushRetryKey('dlv_a', 0)).toBe(pushRetryKey('dlv_a', 0))
    expect(pushRetryKey('dlv_a', 0)).not.toBe(pushRetryKey('dlv_b', 0))
    expect(pushRetryKey('dlv_a', 0)).not.toBe(pushRetryKey('dlv_a', 5))
  })
})

describe('line deliver', () => {
  const DELIVERY = 'dlv_01HB6R3W0K8YJ1P5Z4QG2V9N7M'
  const REPLY_TOKEN = '757913772c4646b784d4b7ce46d12671'
  const target = (patch: Partial<Record<string, ReplyTarget[string]>> = {}): ReplyTarget =>
    ({ replyToken: REPLY_TOKEN, receivedAt: NOW, to: USER, chat: 'user', ...patch })

  async function setup (opts: { reply?: CallerConfig['reply'], outbound?: HttpOutboundOptions, now?: number } = {}) {
    const api = await startFakeApi({ status: 200, body: { sentMessages: [{ id: '461230966842064897', quoteToken: 'IStG5h1Tz7b...' }] } })
    const http = createHttpOutbound({ backoffMs: 10, ...opts.outbound })
    onTestFinished(() => http.close())
    const saved: DeliveryProgress[] = []
    const ctx: DeliveryContext = {
      http,
      deliveryId: DELIVERY,
      callerId: 'line',
      caller: caller({ api_base: api.url, ...opts.reply }),
      save: async (p) => { saved.push(p) },
      now: () => opts.now ?? NOW + 3000
    }
    return { api, ctx, saved }
  }

  const paths = (api: FakeApi) => api.requests.map((r) => r.url)
  const messages = (...texts: string[]) => texts.map((text) => ({ type: 'text', text }))

  it('replies with every part in one Reply API call while the token is fresh', async () => {
    const { api, ctx, saved } = await setup()
    await lineAdapter.deliver(ctx, target(), ['one', 'two 🙂', 'three'], { sent: 0 })
    expect(api.requests).toHaveLength(1)
    const r = api.requests[0]!
    expect(r.method).toBe('POST')
    expect(r.url).toBe('/v2/bot/message/reply')
    expect(r.headers.authorization).toBe(`Bearer ${CHANNEL_TOKEN}`)
    expect(r.headers['content-type']).toBe('application/json')
    expect(r.headers['x-line-retry-key']).toBeUndefined()
    expect(r.json).toEqual({ replyToken: REPLY_TOKEN, messages: messages('one', 'two 🙂', 'three') })
    expect(saved).toEqual([{ sent: 3, replied: true }])
  })

  it('replies up to just under 50 s after the webhook arrived', async () => {
    const { api, ctx } = await setup({ now: NOW + 49_999 })
    await lineAdapter.deliver(ctx, target(), ['late but fresh'], { sent: 0 })
    expect(paths(api)).toEqual(['/v2/bot/message/reply'])
  })

  it('pushes to the chat with a retry key once the reply token is 50 s old', async () => {
    const { api, ctx, saved } = await setup({ now: NOW + 50_000 })
    await lineAdapter.deliver(ctx, target(), ['one', 'two'], { sent: 0 })
    expect(api.requests).toHaveLength(1)
    const r = api.requests[0]!
    expect(r.method).toBe('POST')
    expect(r.url).toBe('/v2/bot/message/push')
    expect(r.headers.authorization).toBe(`Bearer ${CHANNEL_TOKEN}`)
    expect(r.headers['x-line-retry-key']).toMatch(UUID)
    expect(r.headers['x-line-retry-key']).toBe(pushRetryKey(DELIVERY, 0))
    expect(r.json).toEqual({ to: USER, messages: messages('one', 'two') })
    expect(saved).toEqual([{ sent: 2 }])
  })

  it('pushes to the group or room the message came from', async () => {
    const { api, ctx } = await setup()
    await lineAdapter.deliver(ctx, target({ replyToken: null, to: GROUP, chat: 'group' }), ['hi group'], { sent: 0 })
    await lineAdapter.deliver(ctx, target({ replyToken: null, to: ROOM, chat: 'room' }), ['hi room'], { sent: 0 })
    expect(api.requests.map((r) => [r.url, r.json])).toEqual([
      ['/v2/bot/message/push', { to: GROUP, messages: messages('hi group') }],
      ['/v2/bot/message/push', { to: ROOM, messages: messages('hi room') }]
    ])
  })

  it('pushes when the event had no reply token', async () => {
    const { api, ctx } = await setup()
    await lineAdapter.deliver(ctx, target({ replyToken: null }), ['hi'], { sent: 0 })
    expect(paths(api)).toEqual(['/v2/bot/message/push'])
  })

  it('does not reuse a reply token already spent', async () => {
    const { api, ctx } = await setup()
    await lineAdapter.deliver(ctx, target(), ['one', 'two'], { sent: 1, replied: true })
    expect(paths(api)).toEqual(['/v2/bot/message/push'])
    expect(api.requests[0]!.json).toEqual({ to: USER, messages: messages('two') })
  })

  it('falls back to push when LINE refuses the reply token (400), and remembers that', async () => {
    const { api, ctx, saved } = await setup()
    api.enqueue({ status: 400, body: { message: 'Invalid reply token' } })
    await lineAdapter.deliver(ctx, target(), ['one', 'two'], { sent: 0 })
    expect(paths(api)).toEqual(['/v2/bot/message/reply', '/v2/bot/message/push'])
    expect(api.requests[1]!.json).toEqual({ to: USER, messages: messages('one', 'two') })
    expect(api.requests[1]!.headers['x-line-retry-key']).toBe(pushRetryKey(DELIVERY, 0))
    expect(saved).toEqual([{ sent: 0, replyRefused: true }, { sent: 2, replyRefused: true }])
  })

  it('after a refused reply token and a failed push, the retry goes straight to push with the same key', async () => {
    const { api, ctx, saved } = await setup()
    api.enqueue({ status: 400, body: { message: 'Invalid reply token' } }, { status: 500 }, { status: 500 }, { status: 500 })
    const error = await lineAdapter.deliver(ctx, target(), ['one'], { sent: 0 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'DeliveryError', retryable: true, status: 500 })
    await lineAdapter.deliver(ctx, target(), ['one'], saved.at(-1)!)
    expect(paths(api)).toEqual(['/v2/bot/message/reply', ...Array(4).fill('/v2/bot/message/push')])
    expect(new Set(api.requests.slice(1).map((r) => r.headers['x-line-retry-key']))).toEqual(new Set([pushRetryKey(DELIVERY, 0)]))
    expect(saved.at(-1)).toEqual({ sent: 1, replyRefused: true })
  })

  it('treats 409 on push as delivered: a push with this retry key was already accepted', async () => {
    const { api, ctx, saved } = await setup({ now: NOW + 60_000 })
    api.enqueue({ status: 409, body: { message: 'The retry key is already accepted' }, headers: { 'x-line-accepted-request-id': '55aa17a1-3c0c-4d39-b7fa-7a1a1c1e4d3f' } })
    await lineAdapter.deliver(ctx, target(), ['one'], { sent: 0 })
    expect(api.requests).toHaveLength(1)
    expect(saved).toEqual([{ sent: 1 }])
  })

  it('splits more than 5 parts into pushes of 5, each with its own retry key, and resumes between them', async () => {
    const parts = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']
    const { api, ctx, saved } = await setup({ now: NOW + 60_000 })
    api.enqueue({ status: 200, body: {} }, { status: 403 })
    await expect(lineAdapter.deliver(ctx, target(), parts, { sent: 0 })).rejects.toMatchObject({ retryable: false, status: 403 })
    expect(saved).toEqual([{ sent: 5 }])
    await lineAdapter.deliver(ctx, target(), parts, saved.at(-1)!)
    expect(api.requests.map((r) => (r.json as { messages: unknown[] }).messages.length)).toEqual([5, 2, 2])
    expect(api.requests.map((r) => r.headers['x-line-retry-key'])).toEqual([pushRetryKey(DELIVERY, 0), pushRetryKey(DELIVERY, 5), pushRetryKey(DELIVERY, 5)])
    expect(saved.at(-1)).toEqual({ sent: 7 })
  })

  it('sends nothing when every part was sent', async () => {
    const { api, ctx, saved } = await setup()
    await lineAdapter.deliver(ctx, target(), ['one'], { sent: 1, replied: true })
    expect(api.requests).toHaveLength(0)
    expect(saved).toEqual([])
  })

  it('waits out a 429 with Retry-After on the Reply API and then replies', async () => {
    const { api, ctx, saved } = await setup()
    api.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: { message: 'Too many requests' } })
    await lineAdapter.deliver(ctx, target(), ['one'], { sent: 0 })
    expect(paths(api)).toEqual(['/v2/bot/message/reply', '/v2/bot/message/reply'])
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(900)
    expect(saved).toEqual([{ sent: 1, replied: true }])
  })

  it('waits out a 429 with Retry-After on the Push API, retrying with the same key', async () => {
    const { api, ctx, saved } = await setup({ now: NOW + 60_000 })
    api.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: { message: 'Too many requests' } })
    await lineAdapter.deliver(ctx, target(), ['one'], { sent: 0 })
    expect(paths(api)).toEqual(['/v2/bot/message/push', '/v2/bot/message/push'])
    expect(api.requests[1]!.headers['x-line-retry-key']).toBe(api.requests[0]!.headers['x-line-retry-key'])
    expect(saved).toEqual([{ sent: 1 }])
  })

  it('a persistent 500 on the Reply API is retryable and does not fall back to push', async () => {
    const { api, ctx, saved } = await setup()
    api.route('/v2/bot/message/reply', { status: 500 })
    const error = await lineAdapter.deliver(ctx, target(), ['one'], { sent: 0 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DeliveryError)
    expect(error).toMatchObject({ retryable: true, status: 500 })
    expect(paths(api)).toEqual(Array(3).fill('/v2/bot/message/reply'))
    expect(saved).toEqual([])
  })

  it.each([401, 403])('a %i from the Reply API is permanent and names no token', async (status) => {
    const { api, ctx, saved } = await setup()
    api.route('/v2/bot/message/reply', { status, body: { message: 'Authentication failed' } })
    const error = await lineAdapter.deliver(ctx, target(), ['one'], { sent: 0 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DeliveryError)
    expect(error).toMatchObject({ retryable: false, status })
    expect(paths(api)).toEqual(['/v2/bot/message/reply'])
    expect(saved).toEqual([])
    expect((error as Error).message).not.toContain(CHANNEL_TOKEN)
  })

  it.each([400, 401, 403])('a %i from the Push API is permanent', async (status) => {
    const { api, ctx, saved } = await setup({ now: NOW + 60_000 })
    api.route('/v2/bot/message/push', { status, body: { message: 'The request body has 1 error(s)' } })
    await expect(lineAdapter.deliver(ctx, target(), ['one'], { sent: 0 })).rejects.toMatchObject({ name: 'DeliveryError', retryable: false, status })
    expect(api.requests).toHaveLength(1)
    expect(saved).toEqual([])
  })

  it('a timed-out push is retried with the same retry key', async () => {
    const { api, ctx, saved } = await setup({ now: NOW + 60_000, outbound: { timeoutMs: 300 } })
    api.enqueue({ delayMs: 3000, status: 200, body: {} })
    await lineAdapter.deliver(ctx, target(), ['one'], { sent: 0 })
    expect(api.requests).toHaveLength(2)
    expect(api.requests[1]!.headers['x-line-retry-key']).toBe(api.requests[0]!.headers['x-line-retry-key'])
    expect(saved).toEqual([{ sent: 1 }])
  })

  it('a Reply API that never answers ends in a retryable DeliveryError without a status', async () => {
    const { api, ctx, saved } = await setup({ outbound: { timeoutMs: 200, attempts: 2 } })
    api.route('/v2/bot/message/reply', { delayMs: 3000, status: 200, body: {} })
    const error = await lineAdapter.deliver(ctx, target(), ['one'], { sent: 0 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DeliveryError)
    expect(error).toMatchObject({ retryable: true, status: null })
    expect(saved).toEqual([])
  })

  it('refuses, without calling LINE, when reply.token is missing', async () => {
    const { api, ctx } = await setup()
    const noToken: DeliveryContext = { ...ctx, caller: { ...ctx.caller, reply: { api_base: api.url } } }
    await expect(lineAdapter.deliver(noToken, target(), ['one'], { sent: 0 })).rejects.toMatchObject({ name: 'DeliveryError', retryable: false })
    expect(api.requests).toHaveLength(0)
  })

  it.each([
    ['no to', { replyToken: null, receivedAt: NOW, chat: 'user' }],
    ['a string receivedAt', { replyToken: null, receivedAt: String(NOW), to: USER, chat: 'user' }],
    ['a numeric reply token', { replyToken: 5, receivedAt: NOW, to: USER, chat: 'user' }],
    ['an unknown chat', { replyToken: null, receivedAt: NOW, to: USER, chat: 'square' }]
  ])('refuses a malformed target (%s) without calling LINE', async (_label, bad) => {
    const { api, ctx } = await setup()
    await expect(lineAdapter.deliver(ctx, bad as ReplyTarget, ['one'], { sent: 0 })).rejects.toMatchObject({ name: 'DeliveryError', retryable: false })
    expect(api.requests).toHaveLength(0)
  })
})

describe('line progress (loading animation)', () => {
  async function setup () {
    const api = await startFakeApi({ status: 202, body: {} })
    const http = createHttpOutbound({ backoffMs: 10 })
    onTestFinished(() => http.close())
    const ctx: DeliveryContext = {
      http,
      deliveryId: 'dlv_1',
      callerId: 'line',
      caller: caller({ api_base: api.url }),
      save: async () => { throw new Error('progress must not save delivery state') },
      now: () => NOW
    }
    return { api, ctx }
  }
  const userTarget: ReplyTarget = { replyToken: 'r1', receivedAt: NOW, to: USER, chat: 'user' }

  it('starts the 60 s loading animation in a 1:1 chat', async () => {
    const { api, ctx } = await setup()
    await lineAdapter.progress!(ctx, userTarget, 'working…', { sent: 0 })
    expect(api.requests).toHaveLength(1)
    const r = api.requests[0]!
    expect([r.method, r.url]).toEqual(['POST', '/v2/bot/chat/loading/start'])
    expect(r.headers.authorization).toBe(`Bearer ${CHANNEL_TOKEN}`)
    expect(r.json).toEqual({ chatId: USER, loadingSeconds: 60 })
  })

  it('shows nothing in groups and rooms (LINE has no animation there)', async () => {
    const { api, ctx } = await setup()
    await lineAdapter.progress!(ctx, { ...userTarget, to: GROUP, chat: 'group' }, 'working…', { sent: 0 })
    await lineAdapter.progress!(ctx, { ...userTarget, to: ROOM, chat: 'room' }, 'working…', { sent: 0 })
    expect(api.requests).toHaveLength(0)
  })

  it.each([500, 400, 401])('a %i from LINE fails nothing', async (status) => {
    const { api, ctx } = await setup()
    api.route('/v2/bot/chat/loading/start', { status })
    await expect(lineAdapter.progress!(ctx, userTarget, 'working…', { sent: 0 })).resolves.toBeUndefined()
    expect(api.requests.length).toBeGreaterThanOrEqual(1)
  })

  it('a missing token or a malformed target fails nothing', async () => {
    const { api, ctx } = await setup()
    await expect(lineAdapter.progress!({ ...ctx, caller: caller({ api_base: api.url, token: undefined }) }, userTarget, '', { sent: 0 })).resolves.toBeUndefined()
    await expect(lineAdapter.progress!(ctx, { chat: 'user' }, '', { sent: 0 })).resolves.toBeUndefined()
    expect(api.requests).toHaveLength(0)
  })

  it('a programming error is not swallowed', async () => {
    const { ctx } = await setup()
    // An Outbound with a bug: only DeliveryError means "the platform failed".
    const broken: Outbound = { send: async () => { throw new TypeError('bug in the outbound client') } }
    await expect(lineAdapter.progress!({ ...ctx, http: broken }, userTarget, '', { sent: 0 })).rejects.toThrow(TypeError)
  })
})
