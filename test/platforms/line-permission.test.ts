import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { lineAdapter } from '../../src/platforms/line/index.ts'
import type { CallerConfig } from '../../src/config/schema.ts'
import type { DeliveryContext, InboundRequest, ParseResult, PermissionAsk, ReplyTarget } from '../../src/platforms/adapter.ts'
import { permissionText } from '../../src/delivery/permission-text.ts'
import { startFakeApi, type FakeApi, type RecordedRequest } from '../helpers/fake-api.ts'
import { deliveryContext, deliveryError } from '../helpers/delivery-context.ts'
import { platformGateway } from '../helpers/platform-gateway.ts'
import { LINE_SECRET, lineRequest } from '../helpers/platform-sign.ts'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'platforms', 'line')
const NOW = 1_763_733_062_000
const CHANNEL_TOKEN = 'line-channel-access-token-Zk9q2Lw8'
const USER = 'U4af4980629d4a0b7c9e1f2a3b4c5d6e7'
const GROUP = 'Ca56f94637c3f0b1e2d4a6c8e0f2b4d6a'
const RUN_ID = 'run_01JD2X7Q9R8S6T5V4W3X2Y1Z0A'
const PID = 'k3m9x2qa'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const ACK = { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }

function ask (patch: Partial<Omit<PermissionAsk, 'text'>> = {}): PermissionAsk {
  const base = { pid: PID, runId: RUN_ID, tool: 'Bash', summary: 'npm test', expiresAt: '2026-11-21T09:25:00.000Z', ...patch }
  return { ...base, text: permissionText(base) }
}

function caller (reply: CallerConfig['reply'] = {}): CallerConfig {
  return { scheme: 'line', secrets: ['line-channel-secret-0123456789ab'], users: [USER], reply: { token: CHANNEL_TOKEN, ...reply } }
}

function fixture (name: string): any {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'))
}

function withEvent (edit: (event: any) => void, name = 'permission-press.json'): unknown {
  const payload = fixture(name)
  edit(payload.events[0])
  return payload
}

function request (body: unknown): InboundRequest {
  return { rawBody: Buffer.from(JSON.stringify(body)), headers: { 'content-type': 'application/json' }, callerId: 'line', caller: caller(), now: NOW }
}

function parse (body: unknown): ParseResult {
  return lineAdapter.parse(request(body))
}

function context (api: FakeApi, now: number): DeliveryContext {
  const { ctx } = deliveryContext('line', caller({ api_base: api.url }), 'dlv_line_perm', { attempts: 1 })
  return { ...ctx, now: () => now }
}

function target (receivedAt: number, replyToken: string | null = 'e1b2c3d4e5f60718293a4b5c6d7e8f90'): ReplyTarget {
  return { replyToken, receivedAt, to: GROUP, chat: 'group' }
}

function flexOf (sent: RecordedRequest): any {
  const messages = (sent.json as { messages: any[] }).messages
  expect(messages).toHaveLength(1)
  expect(messages[0].type).toBe('flex')
  return messages[0]
}

function buttonsOf (flex: any): any[] {
  return flex.contents.footer.contents.map((b: any) => b.action)
}

describe('line askPermission', () => {
  it('replies with a Flex message carrying Allow and Deny postback buttons while the reply token is fresh', async () => {
    const api = await startFakeApi({ status: 200, body: {} })
    await lineAdapter.askPermission!(context(api, NOW), target(NOW - 10_000), ask())

    expect(api.requests).toHaveLength(1)
    const [sent] = api.requests
    expect(sent!.url).toBe('/v2/bot/message/reply')
    expect(sent!.headers.authorization).toBe(`Bearer ${CHANNEL_TOKEN}`)
    expect(sent!.body).not.toContain(CHANNEL_TOKEN)
    expect((sent!.json as any).replyToken).toBe('e1b2c3d4e5f60718293a4b5c6d7e8f90')
    const flex = flexOf(sent!)
    expect(flex.altText).toBe(ask().text)
    expect(buttonsOf(flex)).toEqual([
      { type: 'postback', label: 'Allow', data: `perm:allow:${PID}`, displayText: `/allow ${PID}` },
      { type: 'postback', label: 'Deny', data: `perm:deny:${PID}`, displayText: `/deny ${PID}` }
    ])
  })

  it('shows the tool, the summary, the expiry and both typed commands', async () => {
    const api = await startFakeApi({ status: 200, body: {} })
    await lineAdapter.askPermission!(context(api, NOW), target(NOW - 10_000), ask({ summary: 'rm -rf **/*.tmp' }))
    const texts = flexOf(api.requests[0]!).contents.body.contents.map((c: any) => c.text) as string[]
    expect(texts).toContain('Bash')
    expect(texts).toContain('rm -rf **/*.tmp')
    const footnote = texts.at(-1)!
    expect(footnote).toContain(RUN_ID)
    expect(footnote).toContain('09:25 UTC')
    expect(footnote).toContain(`/allow ${PID}`)
    expect(footnote).toContain(`/deny ${PID}`)
  })

  it('leaves out an empty summary, which Flex would refuse', async () => {
    const api = await startFakeApi({ status: 200, body: {} })
    await lineAdapter.askPermission!(context(api, NOW), target(NOW - 10_000), ask({ summary: '' }))
    for (const c of flexOf(api.requests[0]!).contents.body.contents) expect(c.text.trim()).not.toBe('')
  })

  it('pushes to the chat with a retry key once the reply token is stale', async () => {
    const api = await startFakeApi({ status: 200, body: {} })
    await lineAdapter.askPermission!(context(api, NOW), target(NOW - 120_000), ask())
    expect(api.requests.map((r) => r.url)).toEqual(['/v2/bot/message/push'])
    const [sent] = api.requests
    expect(sent!.headers.authorization).toBe(`Bearer ${CHANNEL_TOKEN}`)
    expect(sent!.headers['x-line-retry-key']).toMatch(UUID)
    expect((sent!.json as any).to).toBe(GROUP)
    expect(buttonsOf(flexOf(sent!)).map((a: any) => a.data)).toEqual([`perm:allow:${PID}`, `perm:deny:${PID}`])
  })

  it('gives each question its own retry key, stable across retries and never a result\'s', async () => {
    const api = await startFakeApi({ status: 200, body: {} })
    await lineAdapter.askPermission!(context(api, NOW), target(NOW, null), ask())
    await lineAdapter.askPermission!(context(api, NOW), target(NOW, null), ask())
    await lineAdapter.askPermission!(context(api, NOW), target(NOW, null), ask({ pid: 'zz99zz99' }))
    await lineAdapter.deliver(context(api, NOW), target(NOW, null), ['result'], { sent: 0 })
    const keys = api.requests.map((r) => r.headers['x-line-retry-key'])
    expect(keys[0]).toBe(keys[1])
    expect(new Set(keys).size).toBe(3)
  })

  it('pushes when LINE refuses the reply token (400)', async () => {
    const api = await startFakeApi({ status: 200, body: {} })
    api.route('/v2/bot/message/reply', { status: 400, body: { message: 'Invalid reply token' } })
    await lineAdapter.askPermission!(context(api, NOW), target(NOW - 10_000), ask())
    expect(api.requests.map((r) => r.url)).toEqual(['/v2/bot/message/reply', '/v2/bot/message/push'])
  })

  it('takes a push LINE already accepted (409 on the retry key) as sent', async () => {
    const api = await startFakeApi({ status: 409, body: { message: 'The retry key is already accepted' } })
    await lineAdapter.askPermission!(context(api, NOW), target(NOW, null), ask())
    expect(api.requests).toHaveLength(1)
  })

  it('fails like a delivery on other errors, and without a channel token', async () => {
    const api = await startFakeApi({ status: 401, body: { message: 'Authentication failed' } })
    expect((await deliveryError(lineAdapter.askPermission!(context(api, NOW), target(NOW, null), ask()))).status).toBe(401)
    const { ctx } = deliveryContext('line', { ...caller(), reply: { api_base: api.url } }, 'dlv_line_perm')
    expect((await deliveryError(lineAdapter.askPermission!(ctx, target(NOW, null), ask()))).retryable).toBe(false)
  })

  it('round trip: a press on each button it sent parses into that button\'s command', async () => {
    const api = await startFakeApi({ status: 200, body: {} })
    await lineAdapter.askPermission!(context(api, NOW), target(NOW - 10_000), ask())
    const texts = buttonsOf(flexOf(api.requests[0]!)).map((a: any) => {
      const result = parse(withEvent((e) => { e.postback.data = a.data }))
      return result.kind === 'messages' ? result.messages[0]!.text : result.kind
    })
    expect(texts).toEqual([`/allow ${PID}`, `/deny ${PID}`])
  })
})

describe('line permission button presses', () => {
  it('reads a postback as /allow from the presser, in the group, answerable with its reply token', () => {
    expect(parse(fixture('permission-press.json'))).toEqual({
      kind: 'messages',
      messages: [{
        text: `/allow ${PID}`,
        user: USER,
        thread: GROUP,
        eventId: '01HB6R7C2222222222222222Q3',
        target: { replyToken: 'e1b2c3d4e5f60718293a4b5c6d7e8f90', receivedAt: NOW, to: GROUP, chat: 'group' }
      }]
    })
  })

  it('keys a press in a 1:1 chat to the user, as messages there are', () => {
    const result = parse(withEvent((e) => { e.source = { type: 'user', userId: USER }; e.postback.data = `perm:deny:${PID}` }))
    expect(result).toMatchObject({ kind: 'messages', messages: [{ text: `/deny ${PID}`, user: USER, thread: USER, target: { to: USER, chat: 'user' } }] })
  })

  it('takes the presser as the user', () => {
    const other = 'U0000000000000000000000000000beef'
    expect(parse(withEvent((e) => { e.source.userId = other }))).toMatchObject({ messages: [{ user: other }] })
  })

  it('keeps the order of presses and messages in one request', () => {
    const payload = fixture('permission-press.json')
    payload.events.unshift(fixture('text-user.json').events[0])
    const result = parse(payload)
    expect(result.kind === 'messages' ? result.messages.map((m) => m.text) : []).toEqual(['Why is the build failing on main? 🙂', `/allow ${PID}`])
  })

  it('acknowledges a press with LINE\'s empty answer: notices go by reply instead', () => {
    const req = request(fixture('permission-press.json'))
    expect(lineAdapter.answerVisible).toBe(false)
    expect(lineAdapter.answer([{ kind: 'notice', text: `Allowed Bash for ${RUN_ID}` }], req)).toEqual(ACK)
    expect(lineAdapter.answer([{ kind: 'refused', text: 'No.' }], req)).toEqual(ACK)
  })

  it.each([
    ['another feature\'s postback (the old fixture)', fixture('postback.json')],
    ['a foreign prefix', withEvent((e) => { e.postback.data = `action=allow&id=${PID}` })],
    ['an unknown decision', withEvent((e) => { e.postback.data = `perm:maybe:${PID}` })],
    ['an upper-case id', withEvent((e) => { e.postback.data = 'perm:allow:K3M9X2QA' })],
    ['a too long id', withEvent((e) => { e.postback.data = `perm:allow:${'k'.repeat(17)}` })],
    ['a trailing newline', withEvent((e) => { e.postback.data = `perm:allow:${PID}\n` })],
    ['numeric data', withEvent((e) => { e.postback.data = 1234 })],
    ['no data', withEvent((e) => { delete e.postback.data })],
    ['a standby channel', withEvent((e) => { e.mode = 'standby' })],
    ['no user id', withEvent((e) => { delete e.source.userId })]
  ])('skips %s: never a command', (_name, body) => {
    expect(parse(body)).toEqual({ kind: 'ignore', reason: 'no_message_events', answer: ACK })
  })

  it.each([
    ['a postback that is not an object', withEvent((e) => { e.postback = `perm:allow:${PID}` }), 'bad_postback'],
    ['no postback', withEvent((e) => { delete e.postback }), 'bad_postback'],
    ['no webhookEventId', withEvent((e) => { delete e.webhookEventId }), 'bad_webhook_event_id'],
    ['a reply token with spaces', withEvent((e) => { e.replyToken = 'a b' }), 'bad_reply_token'],
    ['an oversize user id', withEvent((e) => { e.source.userId = 'U'.repeat(300) }), 'bad_source'],
    ['an unknown source type', withEvent((e) => { e.source.type = 'channel' }), 'bad_source']
  ])('refuses our button with %s as invalid', (_name, body, reason) => {
    expect(parse(body)).toEqual({ kind: 'invalid', reason })
  })
})

describe('line permission presses through the webhook route', () => {
  it('hands the postback event to parse unchanged: the gateway\'s answer to the press goes out with its reply token', async () => {
    const api = await startFakeApi({ status: 200, body: { sentMessages: [{ id: '468789577898262530' }] } })
    const gw = await platformGateway({
      callers: `{ chat: { scheme: line, secrets: [${LINE_SECRET}], users: ["${USER}"], commands: [run], default_command: run, reply: { token: "${CHANNEL_TOKEN}", api_base: "${api.url}" } } }`
    })
    const signed = lineRequest(withEvent((e) => { e.timestamp = Date.now() }))

    const answer = await gw.post('/v1/hooks/chat', signed.body, signed.headers)

    expect(answer.status).toBe(200)
    const [reply] = await api.waitFor(1, { match: '/v2/bot/message/reply' })
    expect(reply!.json).toMatchObject({ replyToken: 'e1b2c3d4e5f60718293a4b5c6d7e8f90', messages: [{ type: 'text', text: expect.any(String) }] })
    expect(gw.audit().some((r) => String(r.reason ?? '').startsWith('invalid_payload'))).toBe(false)
  })
})
