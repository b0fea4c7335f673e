import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { teamsAdapter } from '../../src/platforms/teams/index.ts'
import { partsInAnswer } from '../../src/platforms/teams/answer.ts'
import type { InboundMessage, InboundRequest, ParseResult, ReplyTarget } from '../../src/platforms/adapter.ts'
import type { CallerConfig, ReplyConfig } from '../../src/config/schema.ts'
import type { HttpOutboundOptions } from '../../src/delivery/http-outbound.ts'
import { startFakeApi, type FakeApi } from '../helpers/fake-api.ts'
import { runObject } from '../helpers/run-object.ts'
import { deliveryContext as sharedDeliveryContext, deliveryError } from '../helpers/delivery-context.ts'

const FIXTURES = new URL('../fixtures/platforms/teams/', import.meta.url)
const USER = '29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw'
const CONVERSATION = '19:8e2b3c4d5f6a4b7c8d9e0f1a2b3c4d5e@thread.tacv2;messageid=1732190000123'
const WORKFLOW_PATH = '/workflows/8d1f0c2b3a4e4f5d9c8b7a6f5e4d3c2b/triggers/manual/paths/invoke'
const SIG = 'sig=Xk3vQ9mN2pL7rT5wY8zA1bC4dE6fG0hJ2kL4mN6pQ8r'
const RUN = runObject('run_01JD2X7Q9R8S6T5V4W3X2Y1Z0A', Date.UTC(2026, 10, 21))

function fixture (name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8')
}

function caller (reply: ReplyConfig = {}): CallerConfig {
  return { scheme: 'teams', secrets: ['vqF0En+Z0ucuRTM/01o2GuhMH3hKKk/N2bOmlM31zaA='], max_age: 300, commands: ['run'], users: [USER], reply }
}

function request (body: string): InboundRequest {
  return {
    rawBody: Buffer.from(body),
    headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'HMAC 03TCao0i55H1eVKUusZOTZRjtvYTs+mO41mPL+R1e1U=' },
    callerId: 'teams',
    caller: caller(),
    now: Date.UTC(2026, 10, 21)
  }
}

function activity (name: string, edit: (body: Record<string, any>) => void = () => {}): string {
  const body = JSON.parse(fixture(name)) as Record<string, any>
  edit(body)
  return JSON.stringify(body)
}

function parse (body: string): ParseResult {
  return teamsAdapter.parse(request(body))
}

function onlyMessage (result: ParseResult): InboundMessage {
  expect(result.kind).toBe('messages')
  if (result.kind !== 'messages') throw new Error('not messages')
  expect(result.messages).toHaveLength(1)
  return result.messages[0]!
}

function textOf (html: string): string {
  return onlyMessage(parse(activity('message.json', (b) => { b.text = html }))).text
}

describe('teams parse', () => {
  it('reads a channel mention: mention and &nbsp; removed, user, conversation, activity id and target', () => {
    expect(onlyMessage(parse(fixture('message.json')))).toEqual({
      text: 'fix the flaky checkout test',
      user: USER,
      thread: CONVERSATION,
      eventId: '1732190000123',
      target: { conversation: CONVERSATION, user_name: 'Ana Lima', reply_to: '1732190000123' }
    })
  })

  it('turns Teams HTML into the plain text the user typed', () => {
    expect(onlyMessage(parse(fixture('message-rich.json'))).text)
      .toBe('explain why npm test fails when a < b && c > d\nand ask  about "it\'s flaky" 😀 🚀')
  })

  it('decodes entities once, after tags are gone, so typed markup stays text', () => {
    expect(textOf('<at>Agent</at> show &lt;at&gt;x&lt;/at&gt; and &lt;b&gt;')).toBe('show <at>x</at> and <b>')
    expect(textOf('<at>Agent</at> &amp;lt; is not &lt;')).toBe('&lt; is not <')
    expect(textOf('<at>Agent</at> &#65;&#x42;&#X43; &#0; &#xD800; &#1114112; &unknown; &')).toBe('ABC \uFFFD \uFFFD \uFFFD &unknown; &')
  })

  it('keeps line breaks from <br>, paragraphs and divs, and trims', () => {
    expect(textOf('<p><at>Agent</at>&nbsp;first line<br/>second&nbsp;line</p><p>third</p>')).toBe('first line\nsecond line\nthird')
    expect(textOf('<div>\r\n <at>Agent</at>  fix   \r\n\r\n\r\n\r\nnow </div>')).toBe('fix\n\nnow')
  })

  it('maps mention-then-command onto hookgate commands, a bare mention onto /help', () => {
    expect(textOf('<at>Agent</at> /status')).toBe('/status')
    expect(textOf('<at>Agent</at>&nbsp;/confirm K7Q2')).toBe('/confirm K7Q2')
    expect(textOf('<at>Agent</at>&nbsp;/deploy&nbsp;staging')).toBe('/deploy staging')
    expect(textOf('<at id="0">Agent</at> /cancel')).toBe('/cancel')
    expect(textOf('<AT>Agent</AT>   /new')).toBe('/new')
    expect(textOf('<at>Agent</at>')).toBe('/help')
    expect(textOf('<at>Agent</at>&nbsp;')).toBe('/help')
    expect(onlyMessage(parse(activity('message.json', (b) => { delete b.text }))).text).toBe('/help')
  })

  it('drops the rest of the text after an unclosed mention rather than guess, and stays linear', () => {
    expect(textOf('<at>Agent fix it')).toBe('/help')
    const hostile = '<at>'.repeat(100_000) + '<'.repeat(200_000) + '&#1'.repeat(50_000)
    const started = performance.now()
    expect(parse(activity('message.json', (b) => { b.text = hostile })).kind).toBe('messages')
    expect(performance.now() - started).toBeLessThan(1000)
    const spaces = `<at>Agent</at> a${' '.repeat(300_000)}b${' '.repeat(300_000)}`
    const again = performance.now()
    expect(textOf(spaces)).toBe(`a${' '.repeat(300_000)}b`)
    expect(performance.now() - again).toBeLessThan(1000)
  })

  it('keeps long text: the policy refuses it, not the parser', () => {
    const long = 'y'.repeat(50_000)
    expect(textOf(`<at>Agent</at> ${long}`)).toBe(long)
  })

  it('leaves user_name null when Teams sends no name', () => {
    expect(onlyMessage(parse(activity('message.json', (b) => { delete b.from.name }))).target.user_name).toBeNull()
    expect(onlyMessage(parse(activity('message.json', (b) => { b.from.name = null }))).target.user_name).toBeNull()
  })

  it('ignores activities that are not messages', () => {
    expect(parse(fixture('conversation-update.json'))).toEqual({ kind: 'ignore', reason: 'not_a_message' })
    expect(parse(activity('message.json', (b) => { b.type = 'invoke' }))).toEqual({ kind: 'ignore', reason: 'not_a_message' })
  })

  it('refuses malformed activities', () => {
    const edited = (edit: (b: Record<string, any>) => void) => parse(activity('message.json', edit))
    expect(parse('{"type":"message",')).toEqual({ kind: 'invalid', reason: 'invalid_json' })
    expect(parse('')).toEqual({ kind: 'invalid', reason: 'invalid_json' })
    expect(parse('null')).toEqual({ kind: 'invalid', reason: 'bad_type' })
    expect(parse('[]')).toEqual({ kind: 'invalid', reason: 'bad_type' })
    expect(parse('"message"')).toEqual({ kind: 'invalid', reason: 'bad_type' })
    expect(parse('{"type":"message","id":"1","__proto__":{"admin":true}}')).toEqual({ kind: 'invalid', reason: 'invalid_json' })
    expect(parse('{"type":"message","constructor":{"prototype":{"admin":true}}}')).toEqual({ kind: 'invalid', reason: 'invalid_json' })
    expect(edited((b) => { b.type = 1 })).toEqual({ kind: 'invalid', reason: 'bad_type' })
    expect(edited((b) => { delete b.id })).toEqual({ kind: 'invalid', reason: 'bad_id' })
    expect(edited((b) => { b.id = 1732190000123 })).toEqual({ kind: 'invalid', reason: 'bad_id' })
    expect(edited((b) => { b.id = '1'.repeat(257) })).toEqual({ kind: 'invalid', reason: 'bad_id' })
    expect(edited((b) => { delete b.from })).toEqual({ kind: 'invalid', reason: 'bad_from' })
    expect(edited((b) => { b.from = [b.from] })).toEqual({ kind: 'invalid', reason: 'bad_from' })
    expect(edited((b) => { delete b.from.id })).toEqual({ kind: 'invalid', reason: 'bad_from' })
    expect(edited((b) => { b.from.id = { id: USER } })).toEqual({ kind: 'invalid', reason: 'bad_from' })
    expect(edited((b) => { b.from.id = `29:${'x'.repeat(300)}` })).toEqual({ kind: 'invalid', reason: 'bad_from' })
    expect(edited((b) => { b.from.id = '29:a\nb' })).toEqual({ kind: 'invalid', reason: 'bad_from' })
    expect(edited((b) => { b.from.name = 42 })).toEqual({ kind: 'invalid', reason: 'bad_from_name' })
    expect(edited((b) => { b.from.name = 'n'.repeat(257) })).toEqual({ kind: 'invalid', reason: 'bad_from_name' })
    expect(edited((b) => { delete b.conversation })).toEqual({ kind: 'invalid', reason: 'bad_conversation' })
    expect(edited((b) => { b.conversation = null })).toEqual({ kind: 'invalid', reason: 'bad_conversation' })
    expect(edited((b) => { b.conversation.id = 19 })).toEqual({ kind: 'invalid', reason: 'bad_conversation' })
    expect(edited((b) => { b.text = ['fix'] })).toEqual({ kind: 'invalid', reason: 'bad_text' })
    expect(edited((b) => { b.text = 5 })).toEqual({ kind: 'invalid', reason: 'bad_text' })
  })
})

describe('teams answer', () => {
  const req = request(fixture('message.json'))
  const reply = (text: string) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'message', text }) })

  it('answers each reaction kind with a message activity', () => {
    const working = `Working on it… the result will be posted to this channel (run ${RUN.id})`
    expect(teamsAdapter.answer([{ kind: 'accepted', run: RUN }], req)).toEqual(reply(working))
    expect(teamsAdapter.answer([{ kind: 'replayed', run: RUN }], req)).toEqual(reply(working))
    expect(teamsAdapter.answer([{ kind: 'notice', text: '/status — your active runs' }], req)).toEqual(reply('/status — your active runs'))
    expect(teamsAdapter.answer([{ kind: 'refused', text: 'That command is not allowed here.' }], req)).toEqual(reply('That command is not allowed here.'))
    expect(teamsAdapter.answer([{ kind: 'finished', run: RUN, parts: ['All 42 tests pass.'] }], req)).toEqual(reply('All 42 tests pass.'))
    expect(teamsAdapter.answer([{ kind: 'finished', run: RUN, parts: [] }], req)).toEqual(reply(`Done (run ${RUN.id})`))
  })

  it('puts a finished result whole in the answer when it fits in 20 KB', () => {
    const parts = ['a'.repeat(9000), 'b'.repeat(9000)]
    expect(partsInAnswer(parts)).toBe(2)
    expect(teamsAdapter.answer([{ kind: 'finished', run: RUN, parts }], req)).toEqual(reply(`${parts[0]}\n\n${parts[1]}`))
  })

  it('answers with the first part and a note when the whole does not fit; the rest is for delivery', () => {
    const parts = ['a'.repeat(12000), 'b'.repeat(12000), 'c'.repeat(100)]
    expect(partsInAnswer(parts)).toBe(1)
    const body = JSON.parse(teamsAdapter.answer([{ kind: 'finished', run: RUN, parts }], req).body!) as { type: string, text: string }
    expect(body.type).toBe('message')
    expect(body.text).toBe(`${parts[0]}\n\n(continued in this channel: run ${RUN.id})`)
  })

  it('counts bytes, not characters: a first part over 20 KB once escaped is not answered at all', () => {
    const cjk = ['測'.repeat(7000)]
    expect(partsInAnswer(cjk)).toBe(0)
    const answer = teamsAdapter.answer([{ kind: 'finished', run: RUN, parts: cjk }], req)
    expect(answer).toEqual(reply(`The result is too long for a reply; it will be posted to this channel (run ${RUN.id})`))
    expect(Buffer.byteLength(answer.body!)).toBeLessThan(20 * 1024)
    // The same count of ASCII characters fits.
    expect(partsInAnswer(['x'.repeat(7000)])).toBe(1)
    // Control characters take six bytes each inside JSON.
    expect(partsInAnswer(['\u001b'.repeat(4000)])).toBe(0)
  })

  it('acknowledges with an empty 200 when there is nothing to say', () => {
    expect(teamsAdapter.answer([], req)).toEqual({ status: 200 })
  })

  it('declares its limits and timing', () => {
    expect(teamsAdapter.scheme).toBe('teams')
    expect(teamsAdapter.limits).toEqual({ chars: 12000, unit: 'codepoint', maxMessages: 3 })
    expect(teamsAdapter.syncWaitMs).toBe(3500)
    expect(teamsAdapter.answerVisible).toBe(true)
  })
})

function card (body: unknown[]) {
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body }
    }]
  }
}

const textBlock = (text: string) => ({ type: 'TextBlock', text, wrap: true })
const forBlock = (name: string) => ({ type: 'TextBlock', text: `For ${name}:`, weight: 'Bolder', wrap: true })
const cardText = (r: { json: unknown }) => ((r.json as ReturnType<typeof card>).attachments[0]!.content.body.at(-1) as { text: string }).text

function deliveryContext (reply: ReplyConfig, outboundOpts: HttpOutboundOptions = {}) {
  return sharedDeliveryContext('teams', caller(reply), 'dlv_01JD2X7Q9R8S6T5V4W3X2Y1Z0C', outboundOpts)
}

describe('teams deliver', () => {
  const target: ReplyTarget = { conversation: CONVERSATION, user_name: 'Ana Lima', reply_to: '1732190000123' }
  const webhook = (api: FakeApi) => ({ webhook_url: `${api.url}${WORKFLOW_PATH}?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&${SIG}` })

  it('posts one Adaptive Card per part to the Workflows URL, naming who asked on the first', async () => {
    const api = await startFakeApi({ status: 202 })
    const { ctx, saved } = deliveryContext(webhook(api))
    await teamsAdapter.deliver(ctx, target, ['**Result**: 3 failures', 'second part'], { sent: 0 })
    expect(api.requests.map((r) => r.method)).toEqual(['POST', 'POST'])
    expect(api.requests[0]!.url).toBe(`${WORKFLOW_PATH}?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&${SIG}`)
    expect(api.requests[0]!.headers['content-type']).toBe('application/json')
    expect(api.requests[0]!.headers.authorization).toBeUndefined()
    expect(api.requests.map((r) => r.json)).toEqual([
      card([forBlock('Ana Lima'), textBlock('**Result**: 3 failures')]),
      card([textBlock('second part')])
    ])
    expect(saved).toEqual([{ sent: 1, card: 0 }, { sent: 2, card: 0 }])
  })

  it('names nobody when Teams sent no name', async () => {
    const api = await startFakeApi({ status: 202 })
    const { ctx } = deliveryContext(webhook(api))
    await teamsAdapter.deliver(ctx, { ...target, user_name: null }, ['only'], { sent: 0 })
    expect(api.requests[0]!.json).toEqual(card([textBlock('only')]))
  })

  it('resumes after the parts already sent, without naming the user again', async () => {
    const api = await startFakeApi({ status: 202 })
    const { ctx, saved } = deliveryContext(webhook(api))
    await teamsAdapter.deliver(ctx, target, ['one', 'two', 'three'], { sent: 1, attempt: 2 })
    expect(api.requests.map((r) => r.json)).toEqual([card([textBlock('two')]), card([textBlock('three')])])
    expect(saved).toEqual([{ sent: 2, attempt: 2, card: 0 }, { sent: 3, attempt: 2, card: 0 }])
    await teamsAdapter.deliver(ctx, target, ['one'], { sent: 1 })
    expect(api.requests).toHaveLength(2)
  })

  it('splits a part whose payload would pass 28 KB into several cards, each under the limit, losing nothing', async () => {
    const api = await startFakeApi({ status: 202 })
    const { ctx, saved } = deliveryContext(webhook(api))
    const cjk = `${'測試結果'.repeat(1500)}\n${'失敗'.repeat(3000)}`
    await teamsAdapter.deliver(ctx, target, [cjk, 'tail'], { sent: 0 })
    expect(api.requests.length).toBeGreaterThanOrEqual(3)
    for (const r of api.requests) expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(28 * 1024)
    const texts = api.requests.map(cardText)
    expect(texts.slice(0, -1).join('')).toBe(cjk)
    expect(texts.at(-1)).toBe('tail')
    // The cut falls on the line break when that keeps the first card at least half full.
    expect(texts[0]!.endsWith('\n')).toBe(true)
    const cards = api.requests.length - 1
    expect(saved.at(-2)).toEqual({ sent: 1, card: 0 })
    expect(saved.filter((p) => p.sent === 0)).toEqual(Array.from({ length: cards - 1 }, (_, k) => ({ sent: 0, card: k + 1 })))
  })

  it('resumes in the middle of a split part, at the card after the last one sent', async () => {
    const api = await startFakeApi({ status: 202 })
    const { ctx } = deliveryContext(webhook(api))
    const long = '漢'.repeat(12000)
    await teamsAdapter.deliver(ctx, target, [long], { sent: 0 })
    const all = api.requests.map(cardText)
    expect(all.length).toBeGreaterThan(1)
    const resumed = await startFakeApi({ status: 202 })
    const second = deliveryContext(webhook(resumed))
    await teamsAdapter.deliver(second.ctx, target, [long], { sent: 0, card: 1 })
    expect(resumed.requests.map(cardText)).toEqual(all.slice(1))
    expect(second.saved.at(-1)).toEqual({ sent: 1, card: 0 })
  })

  it('waits out a 429 with Retry-After, then succeeds', async () => {
    const api = await startFakeApi({ status: 202 })
    api.enqueue({ status: 429, headers: { 'retry-after': '1' } })
    const { ctx, saved } = deliveryContext(webhook(api))
    await teamsAdapter.deliver(ctx, target, ['a'], { sent: 0 })
    expect(api.requests).toHaveLength(2)
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(900)
    expect(api.requests[1]!.json).toEqual(api.requests[0]!.json)
    expect(saved).toEqual([{ sent: 1, card: 0 }])
  })

  it('reports a persistent 500 as retryable, never quoting the sig', async () => {
    const api = await startFakeApi({ status: 500 })
    const { ctx, saved } = deliveryContext(webhook(api))
    const error = await deliveryError(teamsAdapter.deliver(ctx, target, ['a', 'b'], { sent: 0 }))
    expect(error.retryable).toBe(true)
    expect(error.status).toBe(500)
    expect(error.message).not.toContain('sig=')
    expect(error.message).not.toContain(WORKFLOW_PATH)
    expect(api.requests).toHaveLength(3)
    expect(saved).toEqual([])
  })

  it('reports 400, 401, 403 and 404 as permanent', async () => {
    for (const status of [400, 401, 403, 404]) {
      const api = await startFakeApi({ status, body: { error: { code: 'DirectApiAuthorizationRequired', message: 'The request must be authenticated' } } })
      const { ctx } = deliveryContext(webhook(api))
      const error = await deliveryError(teamsAdapter.deliver(ctx, target, ['a'], { sent: 0 }))
      expect(error.retryable).toBe(false)
      expect(error.status).toBe(status)
      expect(error.message).not.toContain('sig=')
      expect(api.requests).toHaveLength(1)
    }
  })

  it('reports a timeout as retryable', async () => {
    const api = await startFakeApi({ status: 202, delayMs: 1500 })
    const { ctx, saved } = deliveryContext(webhook(api), { timeoutMs: 200, attempts: 2 })
    const error = await deliveryError(teamsAdapter.deliver(ctx, target, ['a'], { sent: 0 }))
    expect(error.retryable).toBe(true)
    expect(error.status).toBeNull()
    expect(error.message).toMatch(/timed out/)
    expect(saved).toEqual([])
  })

  it('fails for good, before sending, when no webhook_url is configured', async () => {
    const { ctx } = deliveryContext({})
    const error = await deliveryError(teamsAdapter.deliver(ctx, target, ['a'], { sent: 0 }))
    expect(error.retryable).toBe(false)
    expect(error.message).toMatch(/webhook_url/)
  })
})
