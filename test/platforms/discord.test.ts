import { readFileSync } from 'node:fs'
import { describe, expect, it, onTestFinished } from 'vitest'
import { discordAdapter } from '../../src/platforms/discord/index.ts'
import { createHttpOutbound, type HttpOutboundOptions } from '../../src/delivery/http-outbound.ts'
import { DeliveryError } from '../../src/delivery/outbound.ts'
import type { CallerConfig, ReplyConfig } from '../../src/config/schema.ts'
import type { DeliveryContext, DeliveryProgress, InboundRequest, ReplyTarget } from '../../src/platforms/adapter.ts'
import { startFakeApi, type FakeApi, type RecordedRequest } from '../helpers/fake-api.ts'
import { runObject } from '../helpers/run-object.ts'

const APP = '1301234567890123456'
const RECEIVED_AT = Date.UTC(2026, 10, 21, 9, 20)
const ASK = JSON.parse(readFileSync(new URL('../fixtures/platforms/discord/guild-ask.json', import.meta.url), 'utf8')) as { token: string }
const TOKEN = ASK.token
const WEBHOOK = `/webhooks/${APP}/${TOKEN}`
const ORIGINAL = `${WEBHOOK}/messages/@original`
const TARGET: ReplyTarget = { application_id: APP, token: TOKEN, channel_id: '1298765432109876543', received_at: RECEIVED_AT }
const NO_MENTIONS = { parse: [] }

function fixture (name: string): string {
  return readFileSync(new URL(`../fixtures/platforms/discord/${name}.json`, import.meta.url), 'utf8')
}

/** A fixture changed by `mutate`, as raw JSON. */
function edited (name: string, mutate: (interaction: any) => void): string {
  const interaction = JSON.parse(fixture(name))
  mutate(interaction)
  return JSON.stringify(interaction)
}

function caller (reply: Partial<ReplyConfig> = {}): CallerConfig {
  return {
    scheme: 'discord',
    secrets: ['d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'],
    users: ['283746501928374650'],
    commands: ['run', 'deploy', 'git'],
    default_command: 'run',
    reply
  }
}

function request (body: string | Buffer, reply: Partial<ReplyConfig> = {}): InboundRequest {
  return {
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
    headers: { 'content-type': 'application/json', 'x-signature-ed25519': 'ab'.repeat(64), 'x-signature-timestamp': String(RECEIVED_AT / 1000) },
    callerId: 'discord',
    caller: caller(reply),
    now: RECEIVED_AT
  }
}

function parse (body: string | Buffer, reply: Partial<ReplyConfig> = {}) {
  return discordAdapter.parse(request(body, reply))
}

interface Harness {
  api: FakeApi
  ctx: DeliveryContext
  saved: DeliveryProgress[]
  /** The delivery's clock; starts 1 minute after the interaction arrived. */
  clock: { now: number }
}

async function harness (opts: { http?: HttpOutboundOptions } = {}): Promise<Harness> {
  // Discord answers a PATCH of @original and a follow-up POST with the message object.
  const api = await startFakeApi({ status: 200, body: { id: '1309876543210999999', type: 20, content: 'ok', channel_id: '1298765432109876543' } })
  const http = createHttpOutbound({ backoffMs: 10, ...opts.http })
  onTestFinished(() => http.close())
  const saved: DeliveryProgress[] = []
  const clock = { now: RECEIVED_AT + 60_000 }
  const ctx: DeliveryContext = {
    http,
    deliveryId: 'dlv_01JDX8Y0ZQ4T7C9G2N5M3K6H1R',
    callerId: 'discord',
    caller: caller({ application_id: APP, api_base: api.url }),
    save: async (progress) => { saved.push(structuredClone(progress)) },
    now: () => clock.now
  }
  return { api, ctx, saved, clock }
}

function calls (requests: RecordedRequest[]): Array<{ method: string, url: string, json: unknown }> {
  return requests.map((r) => ({ method: r.method, url: r.url, json: r.json }))
}

async function deliveryError (promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(DeliveryError)
  const message = (error as DeliveryError).message
  expect(message).not.toContain(TOKEN.slice(0, 24))
  expect(message).not.toContain('/webhooks/')
  return error as DeliveryError
}

function json (answer: { status: number, headers?: Record<string, string>, body?: string }) {
  expect(answer.status).toBe(200)
  expect(answer.headers).toEqual({ 'content-type': 'application/json' })
  return JSON.parse(answer.body!)
}

describe('discord parse', () => {
  it('answers PING with PONG and runs nothing', () => {
    const result = parse(fixture('ping'))
    expect(result).toEqual({ kind: 'ignore', reason: 'ping', answer: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"type":1}' } })
  })

  it('reads a free-text command as text for the default command', () => {
    expect(parse(fixture('guild-ask'))).toEqual({
      kind: 'messages',
      messages: [{
        text: 'why does the retry loop in http-outbound double the backoff?',
        user: '283746501928374650',
        thread: '1298765432109876543',
        eventId: '1309876543210987654',
        target: { application_id: APP, token: TOKEN, channel_id: '1298765432109876543', received_at: RECEIVED_AT }
      }]
    })
  })

  it('reads a built-in registered as a slash command in a DM', () => {
    expect(parse(fixture('dm-status'))).toEqual({
      kind: 'messages',
      messages: [{
        text: '/status',
        user: '283746501928374650',
        thread: '1311122233344455566',
        eventId: '1309876543210987660',
        target: { application_id: APP, token: JSON.parse(fixture('dm-status')).token, channel_id: '1311122233344455566', received_at: RECEIVED_AT }
      }]
    })
  })

  it('maps a configured command and its options to /name args', () => {
    expect(parse(fixture('guild-deploy'))).toMatchObject({ messages: [{ text: '/deploy production' }] })
    expect(parse(fixture('guild-confirm'))).toMatchObject({ messages: [{ text: '/confirm K7QX2M' }] })
  })

  it('flattens sub-commands into words, values as text', () => {
    expect(parse(fixture('guild-subcommand'))).toMatchObject({ messages: [{ text: '/git log 5 true' }] })
  })

  it('keeps string, number and boolean values and drops ids of users, channels and roles', () => {
    expect(parse(fixture('guild-review'))).toMatchObject({ messages: [{ text: '482 error handling 0.75' }] })
  })

  it('does not treat an unconfigured command name as a command', () => {
    // `git` is one of the caller's commands in the fixture set-up; here the caller has none.
    const req = request(fixture('guild-subcommand'))
    req.caller = { ...req.caller, commands: [] }
    expect(discordAdapter.parse(req)).toMatchObject({ messages: [{ text: 'log 5 true' }] })
  })

  it.each([
    ['no options', (i: any) => { delete i.data.options }],
    ['an empty option list', (i: any) => { i.data.options = [] }],
    ['blank values', (i: any) => { i.data.options = [{ name: 'prompt', type: 3, value: '   ' }] }]
  ])('asks for /help when a free-text command has %s', (_name, mutate) => {
    expect(parse(edited('guild-ask', mutate))).toMatchObject({ messages: [{ text: '/help' }] })
  })

  it('maps every built-in name', () => {
    for (const name of ['help', 'status', 'cancel', 'new', 'confirm', 'allow', 'deny']) {
      const body = edited('guild-ask', (i) => { i.data.name = name; delete i.data.options })
      expect(parse(body)).toMatchObject({ messages: [{ text: `/${name}` }] })
    }
  })

  it('keeps long text whole (the policy refuses it, not the parser)', () => {
    const long = 'y'.repeat(6000)
    expect(parse(edited('guild-ask', (i) => { i.data.options[0].value = long }))).toMatchObject({ messages: [{ text: long }] })
  })

  it('accepts a configured application id that matches the payload, and refuses another', () => {
    expect(parse(fixture('guild-ask'), { application_id: APP })).toMatchObject({ kind: 'messages' })
    expect(parse(fixture('guild-ask'), { application_id: '1309999999999999999' })).toEqual({ kind: 'invalid', reason: 'other_application' })
  })

  it('has no channel thread when Discord sends no channel', () => {
    expect(parse(edited('dm-status', (i) => { delete i.channel_id; delete i.channel }))).toMatchObject({
      messages: [{ thread: null, target: { channel_id: null } }]
    })
  })

  it.each([
    ['a button press', 'component', 'component', { type: 6 }],
    ['a modal submit', 'modal', 'component', { type: 6 }],
    ['autocomplete', 'autocomplete', 'autocomplete', { type: 8, data: { choices: [] } }]
  ])('acknowledges %s without running anything', (_name, name, reason, answer) => {
    const result = parse(fixture(name))
    expect(result).toMatchObject({ kind: 'ignore', reason })
    if (result.kind !== 'ignore') throw new Error('expected ignore')
    expect(json(result.answer!)).toEqual(answer)
  })

  it.each([
    ['not JSON', '{"type": 2, "data": ', 'malformed_json'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), 'malformed_json'],
    ['a __proto__ key', '{"type":2,"__proto__":{"admin":true}}', 'malformed_json'],
    ['an array', `[${fixture('guild-ask')}]`, 'not_an_interaction'],
    ['null', 'null', 'not_an_interaction'],
    ['no type', edited('guild-ask', (i) => { delete i.type }), 'bad_interaction_type'],
    ['a string type', edited('guild-ask', (i) => { i.type = '2' }), 'bad_interaction_type'],
    ['an unknown type', edited('guild-ask', (i) => { i.type = 9 }), 'bad_interaction_type'],
    ['a numeric id', edited('guild-ask', (i) => { i.id = 1309876543210987654 }), 'bad_interaction_id'],
    ['an oversize id', edited('guild-ask', (i) => { i.id = '1'.repeat(300) }), 'bad_interaction_id'],
    ['no application_id', edited('guild-ask', (i) => { delete i.application_id }), 'bad_application_id'],
    ['a non-numeric application_id', edited('guild-ask', (i) => { i.application_id = '../../channels' }), 'bad_application_id'],
    ['no token', edited('guild-ask', (i) => { delete i.token }), 'bad_token'],
    ['a token with spaces', edited('guild-ask', (i) => { i.token = 'abc def' }), 'bad_token'],
    ['an oversize token', edited('guild-ask', (i) => { i.token = 'a'.repeat(2000) }), 'bad_token'],
    ['a member without a user', edited('guild-ask', (i) => { delete i.member.user }), 'bad_user'],
    ['a null member', edited('guild-ask', (i) => { i.member = null }), 'bad_user'],
    ['no member and no user', edited('guild-ask', (i) => { delete i.member }), 'bad_user'],
    ['a numeric user id', edited('dm-status', (i) => { i.user.id = 283746501928374650 }), 'bad_user'],
    ['a user array', edited('dm-status', (i) => { i.user = [i.user] }), 'bad_user'],
    ['a numeric channel id', edited('guild-ask', (i) => { i.channel_id = 1298765432109876543 }), 'bad_channel_id'],
    ['no data', edited('guild-ask', (i) => { delete i.data }), 'bad_command'],
    ['a data array', edited('guild-ask', (i) => { i.data = [] }), 'bad_command'],
    ['an empty name', edited('guild-ask', (i) => { i.data.name = '' }), 'bad_command'],
    ['an overlong name', edited('guild-ask', (i) => { i.data.name = 'a'.repeat(33) }), 'bad_command'],
    ['options that are not a list', edited('guild-ask', (i) => { i.data.options = { prompt: 'hi' } }), 'bad_options'],
    ['a null option', edited('guild-ask', (i) => { i.data.options = [null] }), 'bad_options'],
    ['an object value', edited('guild-ask', (i) => { i.data.options[0].value = { text: 'hi' } }), 'bad_options'],
    ['a missing value', edited('guild-ask', (i) => { delete i.data.options[0].value }), 'bad_options'],
    ['a string option type', edited('guild-ask', (i) => { i.data.options[0].type = '3' }), 'bad_options'],
    ['a sub-command without a list', edited('guild-subcommand', (i) => { i.data.options[0].options = 'count=5' }), 'bad_options'],
    ['options nested too deep', edited('guild-ask', (i) => {
      i.data.options = [{ name: 'a', type: 2, options: [{ name: 'b', type: 1, options: [{ name: 'c', type: 1, options: [] }] }] }]
    }), 'bad_options'],
    ['too many options', edited('guild-ask', (i) => { i.data.options = Array.from({ length: 26 }, (_, n) => ({ name: `o${n}`, type: 3, value: 'x' })) }), 'bad_options']
  ])('refuses %s', (_name, body, reason) => {
    expect(parse(body)).toEqual({ kind: 'invalid', reason })
  })
})

describe('discord answer', () => {
  const run = runObject('run_01jdx8y0zq4t7c9g2n5m3k6h1r', RECEIVED_AT, { caller: 'discord', user: '283746501928374650' })
  const req = request(fixture('guild-ask'))

  it.each([
    ['accepted', { kind: 'accepted', run } as const],
    ['replayed', { kind: 'replayed', run } as const]
  ])('defers %s (Discord shows "thinking…")', (_name, reaction) => {
    const answer = discordAdapter.answer([reaction], req)
    expect(answer).toEqual({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"type":5}' })
  })

  it('answers a built-in in the channel, with mentions disabled', () => {
    const answer = discordAdapter.answer([{ kind: 'notice', text: 'No active run @everyone of yours.' }], req)
    expect(json(answer)).toEqual({ type: 4, data: { content: 'No active run @everyone of yours.', allowed_mentions: NO_MENTIONS } })
  })

  it('answers a refusal ephemerally', () => {
    const answer = discordAdapter.answer([{ kind: 'refused', text: 'You are not allowed to use this command.' }], req)
    expect(json(answer)).toEqual({ type: 4, data: { content: 'You are not allowed to use this command.', allowed_mentions: NO_MENTIONS, flags: 64 } })
  })

  it('answers a finished run with its first part', () => {
    const answer = discordAdapter.answer([{ kind: 'finished', run, parts: ['first', 'second'] }], req)
    expect(json(answer)).toEqual({ type: 4, data: { content: 'first', allowed_mentions: NO_MENTIONS } })
  })

  it('cuts a long notice to 2000 characters without splitting one', () => {
    const answer = discordAdapter.answer([{ kind: 'notice', text: '😀'.repeat(2500) }], req)
    const content = json(answer).data.content as string
    expect([...content]).toHaveLength(2000)
    expect(content).toBe(`${'😀'.repeat(1999)}…`)
  })

  it('never sends empty content, which Discord refuses', () => {
    expect(json(discordAdapter.answer([{ kind: 'finished', run, parts: [] }], req)).data.content).toBe('(no output)')
    expect(json(discordAdapter.answer([], req))).toEqual({ type: 4, data: { content: 'Nothing to do.', allowed_mentions: NO_MENTIONS, flags: 64 } })
  })

  it('declares its limits and timing', () => {
    expect(discordAdapter.scheme).toBe('discord')
    expect(discordAdapter.limits).toEqual({ chars: 2000, unit: 'codepoint', maxMessages: 4 })
    expect(discordAdapter.syncWaitMs).toBe(0)
    expect(discordAdapter.answerVisible).toBe(true)
    expect(discordAdapter.progress).toBeUndefined()
  })
})

describe('discord deliver', () => {
  it('replaces "thinking…" with part 1 and follows up with the rest, in order', async () => {
    const { api, ctx, saved } = await harness()
    await discordAdapter.deliver(ctx, TARGET, ['one', 'two', 'three'], { sent: 0 })
    expect(calls(api.requests)).toEqual([
      { method: 'PATCH', url: ORIGINAL, json: { content: 'one', allowed_mentions: NO_MENTIONS } },
      { method: 'POST', url: WEBHOOK, json: { content: 'two', allowed_mentions: NO_MENTIONS } },
      { method: 'POST', url: WEBHOOK, json: { content: 'three', allowed_mentions: NO_MENTIONS } }
    ])
    expect(api.requests.every((r) => r.headers['content-type'] === 'application/json')).toBe(true)
    expect(saved).toEqual([{ sent: 1 }, { sent: 2 }, { sent: 3 }])
  })

  it('delivers to the target parse produced', async () => {
    const { api, ctx } = await harness()
    const parsed = parse(fixture('guild-ask'))
    if (parsed.kind !== 'messages') throw new Error('expected a message')
    await discordAdapter.deliver(ctx, parsed.messages[0]!.target, ['done'], { sent: 0 })
    expect(calls(api.requests)).toEqual([{ method: 'PATCH', url: ORIGINAL, json: { content: 'done', allowed_mentions: NO_MENTIONS } }])
  })

  it('resumes after the parts already sent, keeping other state', async () => {
    const { api, ctx, saved } = await harness()
    await discordAdapter.deliver(ctx, TARGET, ['one', 'two', 'three'], { sent: 1, note: 'kept' })
    expect(calls(api.requests)).toEqual([
      { method: 'POST', url: WEBHOOK, json: { content: 'two', allowed_mentions: NO_MENTIONS } },
      { method: 'POST', url: WEBHOOK, json: { content: 'three', allowed_mentions: NO_MENTIONS } }
    ])
    expect(saved).toEqual([{ sent: 2, note: 'kept' }, { sent: 3, note: 'kept' }])
  })

  it('never sends a part twice across a failed and a retried delivery', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status: 200, body: { id: '1' } }, { status: 403, body: { message: 'Missing Access', code: 50001 } })
    const parts = ['one', 'two', 'three']
    const error = await deliveryError(discordAdapter.deliver(ctx, TARGET, parts, { sent: 0 }))
    expect(error.retryable).toBe(false)
    expect(saved).toEqual([{ sent: 1 }])
    await discordAdapter.deliver(ctx, TARGET, parts, saved.at(-1)!)
    expect(api.requests.map((r) => `${r.method} ${(r.json as { content: string }).content}`)).toEqual(['PATCH one', 'POST two', 'POST two', 'POST three'])
    expect(saved).toEqual([{ sent: 1 }, { sent: 2 }, { sent: 3 }])
  })

  it('waits out a 429 with Retry-After and succeeds', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status: 429, headers: { 'retry-after': '1', 'x-ratelimit-scope': 'user' }, body: { message: 'You are being rate limited.', retry_after: 1, global: false } })
    await discordAdapter.deliver(ctx, TARGET, ['one'], { sent: 0 })
    expect(api.requests.map((r) => r.method)).toEqual(['PATCH', 'PATCH'])
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(900)
    expect(saved).toEqual([{ sent: 1 }])
  })

  it('leaves a long Retry-After to the delivery service, retryable, with the wait', async () => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status: 429, headers: { 'retry-after': '30' }, body: { message: 'You are being rate limited.', retry_after: 30, global: true } })
    const error = await deliveryError(discordAdapter.deliver(ctx, TARGET, ['one'], { sent: 0 }))
    expect(error.retryable).toBe(true)
    expect(error.retryAfterMs).toBe(30_000)
    expect(api.requests).toHaveLength(1)
    expect(saved).toHaveLength(0)
  })

  it('reports a persistent 500 as retryable', async () => {
    const { api, ctx, saved } = await harness()
    api.route(/./, { status: 500, body: { message: '500: Internal Server Error', code: 0 } })
    const error = await deliveryError(discordAdapter.deliver(ctx, TARGET, ['one'], { sent: 0 }))
    expect(error.retryable).toBe(true)
    expect(error.status).toBe(500)
    expect(api.requests).toHaveLength(3)
    expect(saved).toHaveLength(0)
  })

  it.each([
    [400, { message: 'Invalid Form Body', code: 50035 }],
    [401, { message: 'Invalid Webhook Token', code: 50027 }],
    [403, { message: 'Missing Access', code: 50001 }],
    [404, { message: 'Unknown Webhook', code: 10015 }]
  ])('reports %i as not retryable, after one attempt', async (status, body) => {
    const { api, ctx, saved } = await harness()
    api.enqueue({ status, body })
    const error = await deliveryError(discordAdapter.deliver(ctx, TARGET, ['one', 'two'], { sent: 0 }))
    expect(error.retryable).toBe(false)
    expect(error.status).toBe(status)
    expect(error.message).not.toContain(body.message)
    expect(api.requests).toHaveLength(1)
    expect(saved).toHaveLength(0)
  })

  it('reports a timeout as retryable', async () => {
    const { api, ctx, saved } = await harness({ http: { timeoutMs: 200, attempts: 1 } })
    api.enqueue({ delayMs: 3000 })
    const error = await deliveryError(discordAdapter.deliver(ctx, TARGET, ['one'], { sent: 0 }))
    expect(error.retryable).toBe(true)
    expect(error.message).toMatch(/timed out/)
    expect(saved).toHaveLength(0)
  })

  it('gives up without calling once the 15-minute token has expired', async () => {
    const { api, ctx, clock, saved } = await harness()
    clock.now = RECEIVED_AT + 15 * 60_000
    const error = await deliveryError(discordAdapter.deliver(ctx, TARGET, ['one'], { sent: 0 }))
    expect(error.retryable).toBe(false)
    expect(error.message).toMatch(/interaction token expired/)
    expect(api.requests).toHaveLength(0)
    expect(saved).toHaveLength(0)
  })

  it('stops between parts when the token expires mid-delivery', async () => {
    const { api, ctx, clock, saved } = await harness()
    clock.now = RECEIVED_AT + 15 * 60_000 - 1
    api.route(/./, () => {
      clock.now += 10
      return undefined
    })
    const error = await deliveryError(discordAdapter.deliver(ctx, TARGET, ['one', 'two'], { sent: 0 }))
    expect(error.message).toMatch(/interaction token expired/)
    expect(api.requests.map((r) => r.method)).toEqual(['PATCH'])
    expect(saved).toEqual([{ sent: 1 }])
  })

  it('percent-encodes a token so it cannot change the path', async () => {
    const { api, ctx } = await harness()
    await discordAdapter.deliver(ctx, { ...TARGET, token: 'abc/../../channels?x=1' }, ['one'], { sent: 0 })
    expect(api.requests[0]!.url).toBe(`/webhooks/${APP}/abc%2F..%2F..%2Fchannels%3Fx%3D1/messages/@original`)
  })

  it('refuses a stored target that is not a Discord interaction', async () => {
    const { api, ctx } = await harness()
    const targets: ReplyTarget[] = [
      { ...TARGET, application_id: '../../x' },
      { ...TARGET, token: '' },
      { ...TARGET, token: null },
      { ...TARGET, received_at: '2026-11-21' },
      { ...TARGET, channel_id: 42 }
    ]
    for (const target of targets) {
      const error = await deliveryError(discordAdapter.deliver(ctx, target, ['one'], { sent: 0 }))
      expect(error.retryable).toBe(false)
    }
    expect(api.requests).toHaveLength(0)
  })

  it('names discord.com by default', async () => {
    const { ctx, clock } = await harness()
    ctx.caller = { ...ctx.caller, reply: { application_id: APP } }
    clock.now = RECEIVED_AT + 16 * 60_000
    const error = await deliveryError(discordAdapter.deliver(ctx, TARGET, ['one'], { sent: 0 }))
    expect(error.message).toBe('discord.com: interaction token expired')
  })
})
