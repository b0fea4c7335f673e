import { describe, it, expect, onTestFinished } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import twilio from 'twilio'
import fc from 'fast-check'
import { twilioAdapter } from '../../src/platforms/twilio/index.ts'
import { messagingResponse } from '../../src/platforms/twilio/twiml.ts'
import type { DeliveryContext, DeliveryProgress, InboundRequest, ParseResult, Reaction } from '../../src/platforms/adapter.ts'
import type { CallerConfig } from '../../src/config/schema.ts'
import { createHttpOutbound, type HttpOutboundOptions } from '../../src/delivery/http-outbound.ts'
import { DeliveryError } from '../../src/delivery/outbound.ts'
import { startFakeApi, type FakeApi } from '../helpers/fake-api.ts'
import { runObject } from '../helpers/run-object.ts'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'platforms', 'twilio')
const NOW = 1_763_733_022_000
const ACCOUNT_SID = 'AC3f8a92c1d04e6b7a58c9e0f1a2b3c4d5'
const AUTH_TOKEN = 'twilio-primary-auth-token-5f1c9e'
const FORM = 'application/x-www-form-urlencoded'

function caller (reply: CallerConfig['reply'] = {}): CallerConfig {
  return { scheme: 'twilio', secrets: [AUTH_TOKEN, 'twilio-secondary-auth-token-77aa'], users: ['+14155550123'], reply: { account_sid: ACCOUNT_SID, ...reply } }
}

function fixture (name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8')
}

function request (body: string | Buffer, contentType: string | null = FORM): InboundRequest {
  return {
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
    headers: contentType === null ? {} : { 'content-type': contentType },
    callerId: 'sms',
    caller: caller(),
    now: NOW
  }
}

function parse (body: string | Buffer, contentType: string | null = FORM): ParseResult {
  return twilioAdapter.parse(request(body, contentType))
}

/** A fixture with some fields replaced (undefined removes the field), keeping Twilio's order. */
function edited (name: string, changes: Record<string, string | undefined>): string {
  const params = new URLSearchParams(fixture(name))
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) params.delete(key)
    else params.set(key, value)
  }
  return params.toString()
}

function official (...texts: string[]): string {
  const response = new twilio.twiml.MessagingResponse()
  for (const text of texts) response.message(text)
  return response.toString()
}

describe('twilio parse', () => {
  it('reads an SMS: trimmed Body, From as user and thread, MessageSid, reply target', () => {
    expect(parse(fixture('sms.form'))).toEqual({
      kind: 'messages',
      messages: [{
        text: 'Why is the build failing on main? Check <ci> & tell me 🙂',
        user: '+14155550123',
        thread: '+14155550123',
        eventId: 'SM7c1e5a3b9d2f4c6e8a0b2d4f6a8c0e2f',
        target: { to: '+14155550123', from: '+14155550100' }
      }]
    })
  })

  it('reads a WhatsApp message with its channel prefix kept on both addresses', () => {
    expect(parse(fixture('whatsapp.form'))).toEqual({
      kind: 'messages',
      messages: [{
        text: '/confirm K7Q2XD',
        user: 'whatsapp:+14155550123',
        thread: 'whatsapp:+14155550123',
        eventId: 'SMa4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4',
        target: { to: 'whatsapp:+14155550123', from: 'whatsapp:+14155238886' }
      }]
    })
  })

  it('reads an MMS caption as the text', () => {
    const result = parse(fixture('mms-caption.form'))
    expect(result.kind).toBe('messages')
    if (result.kind !== 'messages') return
    expect(result.messages[0]).toMatchObject({ text: 'What does this stack trace mean?', eventId: 'MM1a2b3c4d5e6f708192a3b4c5d6e7f809' })
  })

  it('ignores media without a caption, answering with an empty TwiML response', () => {
    expect(parse(fixture('mms-no-caption.form'))).toEqual({
      kind: 'ignore',
      reason: 'no_text',
      answer: { status: 200, headers: { 'content-type': 'text/xml' }, body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' }
    })
  })

  it('ignores a Body of whitespace only', () => {
    expect(parse(edited('sms.form', { Body: ' \n\t ' }))).toMatchObject({ kind: 'ignore', reason: 'no_text' })
  })

  it('ignores a delivery status callback sent to the same URL', () => {
    expect(parse(fixture('status-callback.form'))).toMatchObject({ kind: 'ignore', reason: 'status_callback' })
  })

  it('passes every built-in command through as typed', () => {
    for (const text of ['/help', '/status', '/cancel', '/cancel run_01HB6R3W0K8YJ1P5Z4QG2V9N7M', '/new', '/confirm K7Q2XD', '/allow p1', '/deny p1']) {
      const result = parse(edited('sms.form', { Body: ` ${text} ` }))
      expect(result.kind === 'messages' && result.messages[0]!.text).toBe(text)
    }
  })

  it('keeps a long Body whole (the policy refuses it, with a reason the user sees)', () => {
    const long = 'x'.repeat(20_000)
    const result = parse(edited('sms.form', { Body: long }))
    expect(result.kind === 'messages' && result.messages[0]!.text).toBe(long)
  })

  it('accepts a content type with a charset parameter', () => {
    expect(parse(fixture('sms.form'), 'application/x-www-form-urlencoded; charset=UTF-8').kind).toBe('messages')
  })

  it.each([
    ['no content type', fixture('sms.form'), null, 'not_form_encoded'],
    ['a JSON content type', fixture('sms.form'), 'application/json', 'not_form_encoded'],
    ['a JSON body', JSON.stringify({ Body: 'hi', From: '+14155550123' }), FORM, 'missing_body'],
    ['an empty body', '', FORM, 'missing_body'],
    ['no Body and no status', edited('sms.form', { Body: undefined, SmsStatus: undefined }), FORM, 'missing_body'],
    ['no MessageSid', edited('sms.form', { MessageSid: undefined }), FORM, 'bad_message_sid'],
    ['a MessageSid with another prefix', edited('sms.form', { MessageSid: 'SK7c1e5a3b9d2f4c6e8a0b2d4f6a8c0e2f' }), FORM, 'bad_message_sid'],
    ['a MessageSid one digit short', edited('sms.form', { MessageSid: 'SM7c1e5a3b9d2f4c6e8a0b2d4f6a8c0e2' }), FORM, 'bad_message_sid'],
    ['a MessageSid with non-hex digits', edited('sms.form', { MessageSid: 'SM7c1e5a3b9d2f4c6e8a0b2d4f6a8c0e2g' }), FORM, 'bad_message_sid'],
    ['an oversize MessageSid', edited('sms.form', { MessageSid: 'SM' + 'a'.repeat(300) }), FORM, 'bad_message_sid'],
    ['no From', edited('sms.form', { From: undefined }), FORM, 'bad_from'],
    ['an empty From', edited('sms.form', { From: '' }), FORM, 'bad_from'],
    ['a From with spaces', edited('sms.form', { From: '+1 415 555 0123' }), FORM, 'bad_from'],
    ['an oversize From', edited('sms.form', { From: '+' + '1'.repeat(300) }), FORM, 'bad_from'],
    ['no To', edited('sms.form', { To: undefined }), FORM, 'bad_to'],
    ['an oversize To', edited('sms.form', { To: '+' + '1'.repeat(300) }), FORM, 'bad_to']
  ])('refuses %s', (_label, body, contentType, reason) => {
    expect(parse(body, contentType)).toEqual({ kind: 'invalid', reason })
  })

  it.each(['Body', 'From', 'To', 'MessageSid'])('refuses a repeated %s', (name) => {
    const params = new URLSearchParams(fixture('sms.form'))
    params.append(name, name === 'MessageSid' ? 'SM00000000000000000000000000000000' : '+14155550999')
    expect(parse(params.toString())).toEqual({ kind: 'invalid', reason: 'repeated_field' })
  })

  it('refuses bytes that are not UTF-8', () => {
    const body = Buffer.concat([Buffer.from(edited('sms.form', { Body: undefined }) + '&Body='), Buffer.from([0xff, 0xfe])])
    expect(parse(body)).toEqual({ kind: 'invalid', reason: 'not_utf8' })
  })

  it('never throws, whatever the form holds', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('Body', 'From', 'To', 'MessageSid', 'SmsStatus', 'x'), fc.string({ unit: 'binary' }))), (pairs) => {
      const result = parse(new URLSearchParams(pairs).toString())
      expect(['messages', 'ignore', 'invalid']).toContain(result.kind)
    }))
  })
})

describe('twilio answer', () => {
  const run = runObject('run_01HB6R3W0K8YJ1P5Z4QG2V9N7M', NOW)
  const answer = (...reactions: Reaction[]) => twilioAdapter.answer(reactions, request(fixture('sms.form')))

  it('answers an accepted run with an empty response (the result follows by the Messages API)', () => {
    expect(answer({ kind: 'accepted', run })).toEqual({ status: 200, headers: { 'content-type': 'text/xml' }, body: official() })
    expect(official()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>')
  })

  it('answers a replayed delivery with an empty response', () => {
    expect(answer({ kind: 'replayed', run })).toEqual({ status: 200, headers: { 'content-type': 'text/xml' }, body: official() })
  })

  it('answers a finished run with one <Message> per part, in order', () => {
    const parts = ['Part one: 3 < 5 & "quoted" \'single\'', 'Part two 🙂\r\nnext line', 'Part three ]]> done']
    const result = answer({ kind: 'finished', run: { ...run, status: 'succeeded' }, parts })
    expect(result).toEqual({ status: 200, headers: { 'content-type': 'text/xml' }, body: official(...parts) })
    expect(result.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Message>Part one: 3 &lt; 5 &amp; "quoted" \'single\'</Message>' +
      '<Message>Part two 🙂&#xD;\nnext line</Message><Message>Part three ]]&gt; done</Message></Response>')
  })

  it('answers a notice with one <Message>', () => {
    const text = 'Reply /confirm K7Q2XD within 5 minutes to deploy <production> & notify'
    expect(answer({ kind: 'notice', text })).toEqual({ status: 200, headers: { 'content-type': 'text/xml' }, body: official(text) })
  })

  it('answers a refusal with one <Message>', () => {
    const text = 'Sorry, "deploy" is not allowed here.'
    expect(answer({ kind: 'refused', text })).toEqual({ status: 200, headers: { 'content-type': 'text/xml' }, body: official(text) })
  })

  it('leaves out blank texts: Twilio refuses a message without a body', () => {
    expect(answer({ kind: 'finished', run, parts: [] }).body).toBe(official())
    expect(answer({ kind: 'notice', text: '  ' }).body).toBe(official())
  })

  it('drops characters XML cannot carry instead of failing the answer', () => {
    const result = answer({ kind: 'notice', text: 'exit\u0000 code\u001b[31m 1\uFFFF \uD800done' })
    expect(result.body).toBe(official('exit code[31m 1 done'))
  })

  it('matches the official MessagingResponse for any text XML can carry', () => {
    const xmlChar = /[\0-\x08\x0B\f\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
    fc.assert(fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 4 }), (texts) => {
      const legal = texts.map((t) => t.replace(xmlChar, ''))
      expect(messagingResponse(texts)).toBe(official(...legal))
    }), { numRuns: 500 })
  })
})

describe('twilio adapter settings', () => {
  it('splits at 1600 code points into at most 3 messages and waits 8 s for a visible answer', () => {
    expect(twilioAdapter.limits).toEqual({ chars: 1600, unit: 'codepoint', maxMessages: 3 })
    expect(twilioAdapter.syncWaitMs).toBe(8000)
    expect(twilioAdapter.answerVisible).toBe(true)
    expect(twilioAdapter.scheme).toBe('twilio')
  })
})

describe('twilio deliver', () => {
  const TARGET = { to: '+14155550123', from: '+14155550100' }
  const PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`
  const BASIC = 'Basic ' + Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')

  async function setup (opts: { reply?: CallerConfig['reply'], outbound?: HttpOutboundOptions } = {}) {
    const api = await startFakeApi({ status: 201, body: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' } })
    const http = createHttpOutbound({ backoffMs: 10, ...opts.outbound })
    onTestFinished(() => http.close())
    const saved: DeliveryProgress[] = []
    const ctx: DeliveryContext = {
      http,
      deliveryId: 'dlv_01HB6R3W0K8YJ1P5Z4QG2V9N7M',
      callerId: 'sms',
      caller: caller({ api_base: api.url, ...opts.reply }),
      save: async (p) => { saved.push(p) },
      now: () => NOW
    }
    return { api, ctx, saved }
  }

  function sentBodies (api: FakeApi): string[] {
    return api.requests.map((r) => r.form?.Body ?? '(no form)')
  }

  it('posts each part to the Messages API with Basic auth and To, From, Body', async () => {
    const { api, ctx, saved } = await setup()
    await twilioAdapter.deliver(ctx, TARGET, ['first & <one>', 'second 🙂'], { sent: 0 })
    expect(api.requests).toHaveLength(2)
    for (const r of api.requests) {
      expect(r.method).toBe('POST')
      expect(r.url).toBe(PATH)
      expect(r.headers.authorization).toBe(BASIC)
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded')
    }
    expect(api.requests.map((r) => r.form)).toEqual([
      { To: '+14155550123', From: '+14155550100', Body: 'first & <one>' },
      { To: '+14155550123', From: '+14155550100', Body: 'second 🙂' }
    ])
    expect(saved).toEqual([{ sent: 1 }, { sent: 2 }])
  })

  it('sends from reply.from when it is configured', async () => {
    const { api, ctx } = await setup({ reply: { from: '+14155550177' } })
    await twilioAdapter.deliver(ctx, TARGET, ['hi'], { sent: 0 })
    expect(api.requests[0]!.form).toEqual({ To: '+14155550123', From: '+14155550177', Body: 'hi' })
  })

  it('answers a WhatsApp user from the WhatsApp address of a plain configured number', async () => {
    const { api, ctx } = await setup({ reply: { from: '+14155238886' } })
    await twilioAdapter.deliver(ctx, { to: 'whatsapp:+14155550123', from: 'whatsapp:+14155238886' }, ['hi'], { sent: 0 })
    expect(api.requests[0]!.form).toEqual({ To: 'whatsapp:+14155550123', From: 'whatsapp:+14155238886', Body: 'hi' })
  })

  it('answers a WhatsApp user from the number written to when no sender is configured', async () => {
    const { api, ctx } = await setup()
    await twilioAdapter.deliver(ctx, { to: 'whatsapp:+14155550123', from: 'whatsapp:+14155238886' }, ['hi'], { sent: 0 })
    expect(api.requests[0]!.form).toMatchObject({ To: 'whatsapp:+14155550123', From: 'whatsapp:+14155238886' })
  })

  it('keeps other progress fields when it saves', async () => {
    const { ctx, saved } = await setup()
    await twilioAdapter.deliver(ctx, TARGET, ['a'], { sent: 0, note: 'kept' })
    expect(saved).toEqual([{ sent: 1, note: 'kept' }])
  })

  it('resumes after the parts already sent and never sends one twice', async () => {
    const { api, ctx, saved } = await setup()
    await twilioAdapter.deliver(ctx, TARGET, ['one', 'two', 'three'], { sent: 1 })
    expect(sentBodies(api)).toEqual(['two', 'three'])
    expect(saved).toEqual([{ sent: 2 }, { sent: 3 }])
  })

  it('sends nothing when every part was sent', async () => {
    const { api, ctx, saved } = await setup()
    await twilioAdapter.deliver(ctx, TARGET, ['one', 'two'], { sent: 2 })
    expect(api.requests).toHaveLength(0)
    expect(saved).toEqual([])
  })

  it('a delivery that failed midway resumes from what it saved', async () => {
    const { api, ctx, saved } = await setup()
    api.route(/Messages\.json$/, (r) => r.form?.Body === 'two' && api.requests.filter((x) => x.form?.Body === 'two').length <= 3 ? { status: 503 } : undefined)
    const error = await twilioAdapter.deliver(ctx, TARGET, ['one', 'two', 'three'], { sent: 0 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DeliveryError)
    expect((error as DeliveryError).retryable).toBe(true)
    expect(saved).toEqual([{ sent: 1 }])
    await twilioAdapter.deliver(ctx, TARGET, ['one', 'two', 'three'], saved.at(-1)!)
    expect(sentBodies(api).filter((b) => b === 'one')).toHaveLength(1)
    expect(sentBodies(api).filter((b) => b === 'three')).toHaveLength(1)
    expect(saved.at(-1)).toEqual({ sent: 3 })
  })

  it('skips a blank part (Twilio refuses an empty Body) but counts it', async () => {
    const { api, ctx, saved } = await setup()
    await twilioAdapter.deliver(ctx, TARGET, ['one', '', 'three'], { sent: 0 })
    expect(sentBodies(api)).toEqual(['one', 'three'])
    expect(saved).toEqual([{ sent: 1 }, { sent: 2 }, { sent: 3 }])
  })

  it('waits out a 429 with Retry-After and then succeeds', async () => {
    const { api, ctx, saved } = await setup()
    api.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: { code: 20429, message: 'Too Many Requests' } })
    await twilioAdapter.deliver(ctx, TARGET, ['hi'], { sent: 0 })
    expect(api.requests).toHaveLength(2)
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(900)
    expect(api.requests[1]!.form).toEqual(api.requests[0]!.form)
    expect(saved).toEqual([{ sent: 1 }])
  })

  it('a persistent 500 ends in a retryable DeliveryError, nothing saved', async () => {
    const { api, ctx, saved } = await setup()
    api.route(PATH, { status: 500, body: { code: 20500, message: 'Internal Server Error' } })
    const error = await twilioAdapter.deliver(ctx, TARGET, ['hi'], { sent: 0 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DeliveryError)
    expect(error).toMatchObject({ retryable: true, status: 500 })
    expect(api.requests).toHaveLength(3)
    expect(saved).toEqual([])
  })

  it.each([
    [400, { code: 21211, message: "The 'To' number +14155550123 is not a valid phone number.", status: 400 }],
    [401, { code: 20003, message: 'Authenticate', status: 401 }],
    [403, { code: 20008, message: 'Forbidden', status: 403 }]
  ])('a %i is permanent: one attempt, a DeliveryError that is not retryable and names no secret', async (status, body) => {
    const { api, ctx, saved } = await setup()
    api.route(PATH, { status, body })
    const error = await twilioAdapter.deliver(ctx, TARGET, ['hi', 'there'], { sent: 0 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DeliveryError)
    expect(error).toMatchObject({ retryable: false, status })
    expect(api.requests).toHaveLength(1)
    expect(saved).toEqual([])
    expect(String((error as Error).message)).not.toContain(AUTH_TOKEN)
    expect(String((error as Error).message)).not.toContain(ACCOUNT_SID)
  })

  it('a timed-out attempt is retried and the part is then sent', async () => {
    const { api, ctx, saved } = await setup({ outbound: { timeoutMs: 300 } })
    api.enqueue({ delayMs: 3000, status: 201, body: {} })
    await twilioAdapter.deliver(ctx, TARGET, ['hi'], { sent: 0 })
    expect(api.requests).toHaveLength(2)
    expect(saved).toEqual([{ sent: 1 }])
  })

  it('a platform that never answers ends in a retryable DeliveryError without a status', async () => {
    const { api, ctx, saved } = await setup({ outbound: { timeoutMs: 200, attempts: 2 } })
    api.route(PATH, { delayMs: 3000, status: 201, body: {} })
    const error = await twilioAdapter.deliver(ctx, TARGET, ['hi'], { sent: 0 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DeliveryError)
    expect(error).toMatchObject({ retryable: true, status: null })
    expect(saved).toEqual([])
  })

  it('refuses, without calling Twilio, when reply.account_sid is missing', async () => {
    const { api, ctx } = await setup()
    const noSid: DeliveryContext = { ...ctx, caller: { ...ctx.caller, reply: { api_base: api.url } } }
    await expect(twilioAdapter.deliver(noSid, TARGET, ['hi'], { sent: 0 })).rejects.toMatchObject({ name: 'DeliveryError', retryable: false })
    expect(api.requests).toHaveLength(0)
  })

  it.each([
    ['no to', { from: '+14155550100' }],
    ['a numeric to', { to: 14155550123, from: '+14155550100' }],
    ['an empty from', { to: '+14155550123', from: '' }]
  ])('refuses a malformed target (%s) without calling Twilio', async (_label, target) => {
    const { api, ctx } = await setup()
    await expect(twilioAdapter.deliver(ctx, target, ['hi'], { sent: 0 })).rejects.toMatchObject({ name: 'DeliveryError', retryable: false })
    expect(api.requests).toHaveLength(0)
  })
})
