import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import { slackAdapter } from '../../src/platforms/slack/index.ts'
import { slackAnswerShows } from '../../src/platforms/slack/answer.ts'
import type { InboundMessage, InboundRequest, ParseResult, Reaction, ReplyTarget } from '../../src/platforms/adapter.ts'
import type { CallerConfig, ReplyConfig } from '../../src/config/schema.ts'
import type { HttpOutboundOptions } from '../../src/delivery/http-outbound.ts'
import { startFakeApi, type FakeApi } from '../helpers/fake-api.ts'
import { runObject } from '../helpers/run-object.ts'
import { deliveryContext as sharedDeliveryContext, deliveryError } from '../helpers/delivery-context.ts'

const FIXTURES = new URL('../fixtures/platforms/slack/', import.meta.url)
const BOT_TOKEN = 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy'
const RESPONSE_PATH = '/commands/T061EG9R6/7311562848471/hZ8Ul2nbV3Gs2VR9R0b4rYpP'
const RUN = runObject('run_01JD2X7Q9R8S6T5V4W3X2Y1Z0A', Date.UTC(2026, 10, 21))

function fixture (name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8')
}

function caller (reply: ReplyConfig = {}, commands: string[] = ['run', 'deploy']): CallerConfig {
  return { scheme: 'slack', secrets: ['8f742231b10e8888abcd99yyyzzz85a5'], max_age: 300, commands, users: ['U061F7AUR'], reply }
}

function request (body: string, opts: { caller?: CallerConfig, headers?: IncomingHttpHeaders } = {}): InboundRequest {
  const json = body.trimStart().startsWith('{')
  return {
    rawBody: Buffer.from(body),
    headers: { 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded', ...opts.headers },
    callerId: 'slack',
    caller: opts.caller ?? caller(),
    now: Date.UTC(2026, 10, 21)
  }
}

/** The slash-command fixture with some fields replaced (null removes one). */
function slash (patch: Record<string, string | null> = {}): string {
  const form = new URLSearchParams(fixture('slash-command.form'))
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) form.delete(name)
    else form.set(name, value)
  }
  return form.toString()
}

/** An Events API fixture, changed by `edit`. */
function event (name: string, edit: (body: Record<string, any>) => void = () => {}): string {
  const body = JSON.parse(fixture(name)) as Record<string, any>
  edit(body)
  return JSON.stringify(body)
}

function onlyMessage (result: ParseResult): InboundMessage {
  expect(result.kind).toBe('messages')
  if (result.kind !== 'messages') throw new Error('not messages')
  expect(result.messages).toHaveLength(1)
  return result.messages[0]!
}

function parse (body: string, opts?: { caller?: CallerConfig, headers?: IncomingHttpHeaders }): ParseResult {
  return slackAdapter.parse(request(body, opts))
}

describe('slack slash commands', () => {
  it('reads the catch-all command: text, user, channel, trigger id and a response_url target', () => {
    expect(onlyMessage(parse(fixture('slash-command.form')))).toEqual({
      text: 'fix the flaky checkout test',
      user: 'U061F7AUR',
      thread: 'C0LAN2Q65',
      eventId: '7311562843239.6052516861.5e4b0dbf1f1ce5a0c1b1b8df7cfa9c21',
      target: { via: 'response_url', response_url: `https://hooks.slack.com${RESPONSE_PATH}`, channel: 'C0LAN2Q65' }
    })
  })

  it('maps a Slack command named like a built-in onto that built-in', () => {
    expect(onlyMessage(parse(slash({ command: '/status', text: '' }))).text).toBe('/status')
    expect(onlyMessage(parse(slash({ command: '/cancel', text: 'run_01JD2X7Q9R8S6T5V4W3X2Y1Z0A' }))).text).toBe('/cancel run_01JD2X7Q9R8S6T5V4W3X2Y1Z0A')
    expect(onlyMessage(parse(slash({ command: '/confirm', text: ' K7Q2 ' }))).text).toBe('/confirm K7Q2')
    expect(onlyMessage(parse(slash({ command: '/new', text: '' }))).text).toBe('/new')
    expect(onlyMessage(parse(slash({ command: '/help', text: '' }))).text).toBe('/help')
  })

  it('maps a Slack command named like one of the caller\'s commands onto it', () => {
    expect(onlyMessage(parse(slash({ command: '/deploy', text: 'staging' }))).text).toBe('/deploy staging')
    expect(onlyMessage(parse(slash({ command: '/Deploy', text: 'staging' }))).text).toBe('/deploy staging')
  })

  it('passes the text of any other command through, including hookgate commands typed after it', () => {
    expect(onlyMessage(parse(slash({ text: '/status' }))).text).toBe('/status')
    expect(onlyMessage(parse(slash({ text: '/confirm K7Q2' }))).text).toBe('/confirm K7Q2')
    // Not one of this caller's commands: the text is what matters, the Slack command is just the door.
    expect(onlyMessage(parse(slash({ command: '/test', text: 'the checkout' }))).text).toBe('the checkout')
    expect(onlyMessage(parse(slash({ command: '/test', text: 'the checkout' }), { caller: caller({}, ['test']) })).text).toBe('/test the checkout')
  })

  it('turns a bare catch-all command into /help', () => {
    expect(onlyMessage(parse(slash({ text: '' }))).text).toBe('/help')
    expect(onlyMessage(parse(slash({ text: '   ' }))).text).toBe('/help')
    expect(onlyMessage(parse(slash({ text: null }))).text).toBe('/help')
  })

  it('undoes Slack\'s escaping and markup so the agent sees what was typed', () => {
    const text = 'run `git log | head -n 3 &gt; out.txt &amp;&amp; cat out.txt` for <@U061F7BBB|bo> in <#C0LAN2Q66|ci> see <https://example.com/a?b=1&amp;c=2|docs> &amp;lt;'
    expect(onlyMessage(parse(slash({ text }))).text)
      .toBe('run `git log | head -n 3 > out.txt && cat out.txt` for @bo in #ci see https://example.com/a?b=1&c=2 &lt;')
  })

  it('keeps long text: the policy refuses it, not the parser', () => {
    const long = 'x'.repeat(40_000)
    expect(onlyMessage(parse(slash({ text: long }))).text).toBe(long)
  })

  it('accepts response_urls on Slack hosts only', () => {
    const ok = (url: string) => parse(slash({ response_url: url })).kind === 'messages'
    expect(ok('https://hooks.slack.com/commands/T1/2/abc')).toBe(true)
    expect(ok('https://hooks.slack.com:443/commands/T1/2/abc')).toBe(true)
    expect(ok('https://hooks.enterprise.slack.com/commands/T1/2/abc')).toBe(true)
    for (const bad of [
      'http://hooks.slack.com/commands/T1/2/abc',
      'https://hooks.slack.com.evil.example/commands/T1/2/abc',
      'https://evilslack.com/commands/T1/2/abc',
      'https://slack.com@evil.example/commands',
      'https://user:pass@hooks.slack.com/commands/T1/2/abc',
      'https://hooks.slack.com:8443/commands/T1/2/abc',
      'https://hooks.slack.com%2eevil.example/x',
      'https://169.254.169.254/latest/meta-data',
      'file:///etc/passwd',
      'hooks.slack.com/commands/T1/2/abc',
      '',
      `https://hooks.slack.com/${'a'.repeat(3000)}`
    ]) {
      expect(parse(slash({ response_url: bad })), bad).toEqual({ kind: 'invalid', reason: 'bad_response_url' })
    }
  })

  it('accepts a response_url under reply.api_base (tests), by origin and path, not by string prefix', () => {
    const c = caller({ api_base: 'http://127.0.0.1:4000/slack' })
    const ok = (url: string) => parse(slash({ response_url: url }), { caller: c }).kind === 'messages'
    expect(ok('http://127.0.0.1:4000/slack/commands/T1/2/abc')).toBe(true)
    expect(ok('http://127.0.0.1:4000/slack')).toBe(true)
    expect(ok('http://127.0.0.1:40001/slack/commands')).toBe(false)
    expect(ok('http://127.0.0.1:4000/slackers/commands')).toBe(false)
    expect(ok('http://127.0.0.1:4000@evil.example/slack/commands')).toBe(false)
    expect(ok('https://127.0.0.1:4000/slack/commands')).toBe(false)
    // Without api_base a local URL is never accepted.
    expect(parse(slash({ response_url: 'http://127.0.0.1:4000/slack/commands' })).kind).toBe('invalid')
  })

  it('refuses missing, duplicated, mistyped and oversize fields', () => {
    expect(parse(slash({ command: null }))).toEqual({ kind: 'invalid', reason: 'not_a_slack_payload' })
    expect(parse(slash({ command: 'agent' }))).toEqual({ kind: 'invalid', reason: 'bad_command' })
    expect(parse(slash({ command: '/two words' }))).toEqual({ kind: 'invalid', reason: 'bad_command' })
    expect(parse(slash({ command: `/${'a'.repeat(33)}` }))).toEqual({ kind: 'invalid', reason: 'bad_command' })
    expect(parse(slash({ user_id: null }))).toEqual({ kind: 'invalid', reason: 'bad_user_id' })
    expect(parse(slash({ user_id: '' }))).toEqual({ kind: 'invalid', reason: 'bad_user_id' })
    expect(parse(slash({ user_id: 'U'.repeat(257) }))).toEqual({ kind: 'invalid', reason: 'bad_user_id' })
    expect(parse(slash({ user_id: 'U061 F7AUR' }))).toEqual({ kind: 'invalid', reason: 'bad_user_id' })
    expect(parse(slash({ channel_id: null }))).toEqual({ kind: 'invalid', reason: 'bad_channel_id' })
    expect(parse(slash({ trigger_id: null }))).toEqual({ kind: 'invalid', reason: 'bad_trigger_id' })
    expect(parse(slash({ trigger_id: '1'.repeat(257) }))).toEqual({ kind: 'invalid', reason: 'bad_trigger_id' })
    expect(parse(slash({ response_url: null }))).toEqual({ kind: 'invalid', reason: 'bad_response_url' })
    expect(parse(`${slash()}&user_id=U0EVIL`)).toEqual({ kind: 'invalid', reason: 'duplicate_field' })
    expect(parse(`${slash()}&text=rm+-rf`)).toEqual({ kind: 'invalid', reason: 'duplicate_field' })
    expect(parse('')).toEqual({ kind: 'invalid', reason: 'not_a_slack_payload' })
    expect(parse('hello')).toEqual({ kind: 'invalid', reason: 'not_a_slack_payload' })
  })

  it('never throws on arbitrary bytes', () => {
    for (const body of ['%', '%%%=&&=', '\u0000\u0001', 'command=%E0%A4%A', '{', '[1,2]', 'null']) {
      expect(() => parse(body)).not.toThrow()
      expect(parse(body).kind).toBe('invalid')
    }
  })

  it('acknowledges interactivity payloads for later', () => {
    expect(parse(fixture('interactivity.form'))).toEqual({ kind: 'ignore', reason: 'interactivity', answer: { status: 200 } })
  })
})

describe('slack Events API', () => {
  it('echoes the url_verification challenge as JSON', () => {
    expect(parse(fixture('url-verification.json'))).toEqual({
      kind: 'ignore',
      reason: 'url_verification',
      answer: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}' }
    })
    expect(parse(event('url-verification.json', (b) => { b.challenge = 42 }))).toEqual({ kind: 'invalid', reason: 'bad_challenge' })
    expect(parse(event('url-verification.json', (b) => { delete b.challenge }))).toEqual({ kind: 'invalid', reason: 'bad_challenge' })
  })

  it('reads an app mention: mention removed, thread keyed by channel and message, reply in its thread', () => {
    expect(onlyMessage(parse(fixture('app-mention.json')))).toEqual({
      text: 'fix the flaky checkout test',
      user: 'U061F7AUR',
      thread: 'C0LAN2Q65:1700000001.000100',
      eventId: 'Ev06AB1CDE2F',
      target: { via: 'chat', channel: 'C0LAN2Q65', thread_ts: '1700000001.000100' }
    })
  })

  it('reads a mention inside a thread: the thread is the parent message, markup resolved', () => {
    expect(onlyMessage(parse(fixture('app-mention-in-thread.json')))).toEqual({
      text: 'now run https://github.com/acme/shop/actions/runs/123 again & compare with #ci-alerts, cc  <urgent>',
      user: 'U061F7AUR',
      thread: 'C0LAN2Q65:1700000001.000100',
      eventId: 'Ev06AB1CDE9Z',
      target: { via: 'chat', channel: 'C0LAN2Q65', thread_ts: '1700000001.000100' }
    })
  })

  it('reads a direct message, where a hookgate command can be typed as is', () => {
    expect(onlyMessage(parse(fixture('message-im.json')))).toEqual({
      text: '/status',
      user: 'U061F7AUR',
      thread: 'D0LAN1A2B:1700000500.000600',
      eventId: 'Ev06AB1CDF11',
      target: { via: 'chat', channel: 'D0LAN1A2B', thread_ts: '1700000500.000600' }
    })
  })

  it('maps mention-then-command onto the command, and a bare mention onto /help', () => {
    const withText = (text: string) => onlyMessage(parse(event('app-mention.json', (b) => { b.event.text = text }))).text
    expect(withText('<@U0LAN0Z89> /confirm K7Q2')).toBe('/confirm K7Q2')
    expect(withText('<@U0LAN0Z89>   /cancel')).toBe('/cancel')
    expect(withText('<@U0LAN0Z89>')).toBe('/help')
    expect(withText('  <@U0LAN0Z89|agent>  ')).toBe('/help')
  })

  it('parses a retry like the first delivery: the same event id lets the gateway dedupe it', () => {
    const first = onlyMessage(parse(fixture('app-mention.json')))
    const retry = onlyMessage(parse(fixture('app-mention.json'), { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } }))
    expect(retry).toEqual(first)
  })

  it('ignores channel messages (mentions arrive as app_mention), bots, itself, edits and other events', () => {
    expect(parse(fixture('message-channel.json'))).toEqual({ kind: 'ignore', reason: 'channel_message' })
    expect(parse(fixture('bot-message.json'))).toEqual({ kind: 'ignore', reason: 'message_subtype' })
    expect(parse(event('bot-message.json', (b) => { delete b.event.subtype; b.event.user = 'U0OTHERBOT' }))).toEqual({ kind: 'ignore', reason: 'bot_message' })
    expect(parse(event('app-mention.json', (b) => { b.event.bot_profile = { id: 'B0X', name: 'other' } }))).toEqual({ kind: 'ignore', reason: 'bot_message' })
    expect(parse(fixture('own-reply.json'))).toEqual({ kind: 'ignore', reason: 'bot_message' })
    expect(parse(fixture('message-changed.json'))).toEqual({ kind: 'ignore', reason: 'message_subtype' })
    expect(parse(fixture('reaction-added.json'))).toEqual({ kind: 'ignore', reason: 'unsupported_event' })
    expect(parse(fixture('app-rate-limited.json'))).toEqual({ kind: 'ignore', reason: 'unsupported_callback' })
  })

  it('refuses malformed callbacks', () => {
    const edited = (edit: (b: Record<string, any>) => void) => parse(event('app-mention.json', edit))
    expect(parse('{"type":')).toEqual({ kind: 'invalid', reason: 'invalid_json' })
    expect(parse('[{"type":"event_callback"}]')).toEqual({ kind: 'invalid', reason: 'bad_type' })
    expect(parse('  {"type":null}')).toEqual({ kind: 'invalid', reason: 'bad_type' })
    expect(parse('{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"},"__proto__":{"x":1}}')).toEqual({ kind: 'invalid', reason: 'invalid_json' })
    expect(parse('{"type":"event_callback","event_id":"Ev1","constructor":{"prototype":{"x":1}}}')).toEqual({ kind: 'invalid', reason: 'invalid_json' })
    expect(edited((b) => { delete b.event_id })).toEqual({ kind: 'invalid', reason: 'bad_event_id' })
    expect(edited((b) => { b.event_id = 12345 })).toEqual({ kind: 'invalid', reason: 'bad_event_id' })
    expect(edited((b) => { b.event_id = `Ev${'0'.repeat(300)}` })).toEqual({ kind: 'invalid', reason: 'bad_event_id' })
    expect(edited((b) => { b.event = null })).toEqual({ kind: 'invalid', reason: 'bad_event' })
    expect(edited((b) => { b.event = [b.event] })).toEqual({ kind: 'invalid', reason: 'bad_event' })
    expect(edited((b) => { b.event.type = 7 })).toEqual({ kind: 'invalid', reason: 'bad_event' })
    expect(edited((b) => { delete b.event.user })).toEqual({ kind: 'invalid', reason: 'bad_user' })
    expect(edited((b) => { b.event.user = ['U061F7AUR'] })).toEqual({ kind: 'invalid', reason: 'bad_user' })
    expect(edited((b) => { b.event.user = 'U'.repeat(257) })).toEqual({ kind: 'invalid', reason: 'bad_user' })
    expect(edited((b) => { b.event.channel = { id: 'C1' } })).toEqual({ kind: 'invalid', reason: 'bad_channel' })
    expect(edited((b) => { b.event.ts = 1700000001.0001 })).toEqual({ kind: 'invalid', reason: 'bad_ts' })
    expect(edited((b) => { b.event.ts = '1700000001' })).toEqual({ kind: 'invalid', reason: 'bad_ts' })
    expect(edited((b) => { b.event.thread_ts = 'yesterday' })).toEqual({ kind: 'invalid', reason: 'bad_thread_ts' })
    expect(edited((b) => { b.event.thread_ts = null })).toEqual({ kind: 'invalid', reason: 'bad_thread_ts' })
    expect(edited((b) => { delete b.event.text })).toEqual({ kind: 'invalid', reason: 'bad_text' })
    expect(edited((b) => { b.event.text = { text: 'hi' } })).toEqual({ kind: 'invalid', reason: 'bad_text' })
  })

  it('stays linear on hostile markup', () => {
    const text = '<'.repeat(200_000) + '<@U1'.repeat(50_000) + '&amp'.repeat(50_000)
    const started = performance.now()
    const result = parse(event('app-mention.json', (b) => { b.event.text = text }))
    expect(result.kind).toBe('messages')
    expect(performance.now() - started).toBeLessThan(1000)
  })
})

describe('slack answer', () => {
  const slashReq = request(fixture('slash-command.form'))
  const eventReq = request(fixture('app-mention.json'))
  const ephemeral = (text: string) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', text }) })

  it('answers a slash command with an ephemeral message for each reaction kind', () => {
    expect(slackAdapter.answer([{ kind: 'accepted', run: RUN }], slashReq)).toEqual(ephemeral(`Working on it… (run ${RUN.id})`))
    expect(slackAdapter.answer([{ kind: 'replayed', run: RUN }], slashReq)).toEqual(ephemeral(`Working on it… (run ${RUN.id})`))
    expect(slackAdapter.answer([{ kind: 'notice', text: 'Confirm with /confirm K7Q2 within 5 minutes' }], slashReq))
      .toEqual(ephemeral('Confirm with /confirm K7Q2 within 5 minutes'))
    expect(slackAdapter.answer([{ kind: 'refused', text: 'You have too many runs going; try again in a minute.' }], slashReq))
      .toEqual(ephemeral('You have too many runs going; try again in a minute.'))
    expect(slackAdapter.answer([{ kind: 'finished', run: RUN, parts: ['part one', 'part two'] }], slashReq)).toEqual(ephemeral('part one\npart two'))
    expect(slackAdapter.answer([{ kind: 'finished', run: RUN, parts: [] }], slashReq)).toEqual(ephemeral(`Done (run ${RUN.id})`))
  })

  it('escapes Slack markup in the answer so text cannot ping a channel', () => {
    const answer = slackAdapter.answer([{ kind: 'notice', text: 'a <!channel> & b > c' }], slashReq)
    expect(JSON.parse(answer.body!)).toEqual({ response_type: 'ephemeral', text: 'a &lt;!channel&gt; &amp; b &gt; c' })
  })

  it('acknowledges Events API requests with an empty 200 whatever happened (Slack drops the body)', () => {
    const reactions: Reaction[] = [
      { kind: 'accepted', run: RUN }, { kind: 'replayed', run: RUN }, { kind: 'finished', run: RUN, parts: ['x'] },
      { kind: 'notice', text: 'n' }, { kind: 'refused', text: 'r' }
    ]
    for (const reaction of reactions) expect(slackAdapter.answer([reaction], eventReq)).toEqual({ status: 200 })
    expect(slackAnswerShows(eventReq)).toBe(false)
    expect(slackAnswerShows(slashReq)).toBe(true)
    expect(slackAnswerShows(request(`\n ${fixture('message-im.json')}`))).toBe(false)
  })

  it('acknowledges with an empty 200 when there is nothing to say', () => {
    expect(slackAdapter.answer([], slashReq)).toEqual({ status: 200 })
  })

  it('declares its limits and timing', () => {
    expect(slackAdapter.scheme).toBe('slack')
    expect(slackAdapter.limits).toEqual({ chars: 3900, unit: 'codepoint', maxMessages: 4 })
    expect(slackAdapter.syncWaitMs).toBe(0)
    expect(slackAdapter.answerVisible).toBe(true)
  })
})

function deliveryContext (reply: ReplyConfig, outboundOpts: HttpOutboundOptions = {}) {
  return sharedDeliveryContext('slack', caller(reply), 'dlv_01JD2X7Q9R8S6T5V4W3X2Y1Z0B', outboundOpts)
}

describe('slack deliver through response_url', () => {
  const target = (api: FakeApi): ReplyTarget => ({ via: 'response_url', response_url: `${api.url}${RESPONSE_PATH}`, channel: 'C0LAN2Q65' })

  it('posts each part in order as an ephemeral follow-up and saves progress after each', async () => {
    const api = await startFakeApi({ status: 200, body: 'ok' })
    const { ctx, saved } = deliveryContext({ api_base: api.url })
    await slackAdapter.deliver(ctx, target(api), ['first', 'second <@U1>', 'third'], { sent: 0 })
    expect(api.requests.map((r) => [r.method, r.url])).toEqual([['POST', RESPONSE_PATH], ['POST', RESPONSE_PATH], ['POST', RESPONSE_PATH]])
    expect(api.requests.map((r) => r.json)).toEqual([
      { response_type: 'ephemeral', text: 'first', replace_original: false },
      { response_type: 'ephemeral', text: 'second &lt;@U1&gt;', replace_original: false },
      { response_type: 'ephemeral', text: 'third', replace_original: false }
    ])
    expect(api.requests[0]!.headers['content-type']).toBe('application/json')
    // The URL is the credential: no bot token goes with it.
    expect(api.requests[0]!.headers.authorization).toBeUndefined()
    expect(saved).toEqual([{ sent: 1 }, { sent: 2 }, { sent: 3 }])
  })

  it('uses reply.response_type when configured', async () => {
    const api = await startFakeApi({ status: 200, body: 'ok' })
    const { ctx } = deliveryContext({ api_base: api.url, response_type: 'in_channel' })
    await slackAdapter.deliver(ctx, target(api), ['shared'], { sent: 0 })
    expect(api.requests[0]!.json).toEqual({ response_type: 'in_channel', text: 'shared', replace_original: false })
  })

  it('resumes after the parts already sent, keeping other progress keys', async () => {
    const api = await startFakeApi({ status: 200, body: 'ok' })
    const { ctx, saved } = deliveryContext({ api_base: api.url })
    await slackAdapter.deliver(ctx, target(api), ['one', 'two', 'three', 'four'], { sent: 2, attempt: 3 })
    expect(api.requests.map((r) => (r.json as { text: string }).text)).toEqual(['three', 'four'])
    expect(saved).toEqual([{ sent: 3, attempt: 3 }, { sent: 4, attempt: 3 }])
    await slackAdapter.deliver(ctx, target(api), ['one', 'two'], { sent: 2 })
    expect(api.requests).toHaveLength(2)
  })

  it('waits out a 429 with Retry-After, then succeeds', async () => {
    const api = await startFakeApi({ status: 200, body: 'ok' })
    api.enqueue({ status: 429, headers: { 'retry-after': '1' } })
    const { ctx, saved } = deliveryContext({ api_base: api.url })
    await slackAdapter.deliver(ctx, target(api), ['only'], { sent: 0 })
    expect(api.requests).toHaveLength(2)
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(900)
    expect(api.requests[1]!.json).toEqual(api.requests[0]!.json)
    expect(saved).toEqual([{ sent: 1 }])
  })

  it('reports a persistent 500 as retryable, without saving the part as sent', async () => {
    const api = await startFakeApi({ status: 500 })
    const { ctx, saved } = deliveryContext({ api_base: api.url })
    const error = await deliveryError(slackAdapter.deliver(ctx, target(api), ['a', 'b'], { sent: 0 }))
    expect(error.retryable).toBe(true)
    expect(error.status).toBe(500)
    expect(api.requests).toHaveLength(3)
    expect(saved).toEqual([])
  })

  it('reports an expired or used-up response_url (404, 410) as permanent, without quoting it', async () => {
    for (const status of [404, 410]) {
      const api = await startFakeApi({ status, body: 'expired_url' })
      const { ctx } = deliveryContext({ api_base: api.url })
      const error = await deliveryError(slackAdapter.deliver(ctx, target(api), ['a'], { sent: 0 }))
      expect(error.retryable).toBe(false)
      expect(error.status).toBe(status)
      expect(error.message).toMatch(/expired/)
      expect(error.message).not.toContain('hZ8Ul2nbV3Gs2VR9R0b4rYpP')
      expect(api.requests).toHaveLength(1)
    }
  })

  it('reports 400, 401 and 403 as permanent', async () => {
    for (const status of [400, 401, 403]) {
      const api = await startFakeApi({ status, body: 'invalid_payload' })
      const { ctx, saved } = deliveryContext({ api_base: api.url })
      const error = await deliveryError(slackAdapter.deliver(ctx, target(api), ['a'], { sent: 0 }))
      expect(error.retryable).toBe(false)
      expect(error.status).toBe(status)
      expect(api.requests).toHaveLength(1)
      expect(saved).toEqual([])
    }
  })

  it('reports a 200 that says ok:false as a refusal', async () => {
    const api = await startFakeApi({ status: 200, body: { ok: false, error: 'invalid_blocks' } })
    const { ctx } = deliveryContext({ api_base: api.url })
    const error = await deliveryError(slackAdapter.deliver(ctx, target(api), ['a'], { sent: 0 }))
    expect(error.retryable).toBe(false)
    expect(error.message).toContain('invalid_blocks')
  })

  it('reports a timeout as retryable', async () => {
    const api = await startFakeApi({ status: 200, body: 'ok', delayMs: 1500 })
    const { ctx, saved } = deliveryContext({ api_base: api.url }, { timeoutMs: 200, attempts: 2 })
    const error = await deliveryError(slackAdapter.deliver(ctx, target(api), ['a'], { sent: 0 }))
    expect(error.retryable).toBe(true)
    expect(error.status).toBeNull()
    expect(error.message).toMatch(/timed out/)
    expect(saved).toEqual([])
  })

  it('refuses a stored response_url that is not Slack\'s (or no longer under api_base) without sending', async () => {
    const api = await startFakeApi()
    const { ctx } = deliveryContext({})
    const error = await deliveryError(slackAdapter.deliver(ctx, target(api), ['a'], { sent: 0 }))
    expect(error.retryable).toBe(false)
    expect(error.message).not.toContain(api.url)
    expect((await deliveryError(slackAdapter.deliver(ctx, { via: 'response_url', response_url: 42 }, ['a'], { sent: 0 }))).retryable).toBe(false)
    expect((await deliveryError(slackAdapter.deliver(ctx, { via: 'carrier_pigeon' }, ['a'], { sent: 0 }))).retryable).toBe(false)
    expect(api.requests).toHaveLength(0)
  })
})

describe('slack deliver with chat.postMessage', () => {
  const target: ReplyTarget = { via: 'chat', channel: 'C0LAN2Q65', thread_ts: '1700000001.000100' }

  it('posts each part into the thread with the bot token, in order', async () => {
    const api = await startFakeApi({ status: 200, body: { ok: true, channel: 'C0LAN2Q65', ts: '1700000002.000200' } })
    const { ctx, saved } = deliveryContext({ api_base: api.url, token: BOT_TOKEN })
    await slackAdapter.deliver(ctx, target, ['part 1', 'part 2 & <!here>'], { sent: 0 })
    expect(api.requests.map((r) => [r.method, r.url])).toEqual([['POST', '/chat.postMessage'], ['POST', '/chat.postMessage']])
    expect(api.requests[0]!.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`)
    expect(api.requests[0]!.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(api.requests.map((r) => r.json)).toEqual([
      { channel: 'C0LAN2Q65', thread_ts: '1700000001.000100', text: 'part 1' },
      { channel: 'C0LAN2Q65', thread_ts: '1700000001.000100', text: 'part 2 &amp; &lt;!here&gt;' }
    ])
    expect(saved).toEqual([{ sent: 1 }, { sent: 2 }])
  })

  it('posts to the real Web API path under an api_base with a path', async () => {
    const api = await startFakeApi()
    const { ctx } = deliveryContext({ api_base: `${api.url}/api/`, token: BOT_TOKEN })
    await slackAdapter.deliver(ctx, target, ['x'], { sent: 0 })
    expect(api.requests[0]!.url).toBe('/api/chat.postMessage')
  })

  it('resumes after the parts already sent', async () => {
    const api = await startFakeApi()
    const { ctx, saved } = deliveryContext({ api_base: api.url, token: BOT_TOKEN })
    await slackAdapter.deliver(ctx, target, ['one', 'two', 'three'], { sent: 1 })
    expect(api.requests.map((r) => (r.json as { text: string }).text)).toEqual(['two', 'three'])
    expect(saved).toEqual([{ sent: 2 }, { sent: 3 }])
  })

  it('treats ok:false ratelimited as retryable, and channel or auth errors as permanent, never quoting the token', async () => {
    const cases: Array<[string, boolean]> = [
      ['ratelimited', true], ['internal_error', true],
      ['channel_not_found', false], ['not_in_channel', false], ['invalid_auth', false], ['token_revoked', false]
    ]
    for (const [code, retryable] of cases) {
      const api = await startFakeApi({ status: 200, body: { ok: false, error: code } })
      const { ctx, saved } = deliveryContext({ api_base: api.url, token: BOT_TOKEN })
      const error = await deliveryError(slackAdapter.deliver(ctx, target, ['a'], { sent: 0 }))
      expect(error.retryable, code).toBe(retryable)
      expect(error.message).toContain(code)
      expect(error.message).not.toContain(BOT_TOKEN)
      expect(saved).toEqual([])
    }
  })

  it('does not quote an error code that is not one', async () => {
    const api = await startFakeApi({ status: 200, body: { ok: false, error: `leak ${BOT_TOKEN}` } })
    const { ctx } = deliveryContext({ api_base: api.url, token: BOT_TOKEN })
    const error = await deliveryError(slackAdapter.deliver(ctx, target, ['a'], { sent: 0 }))
    expect(error.message).toContain('unknown_error')
    expect(error.message).not.toContain(BOT_TOKEN)
  })

  it('waits out an HTTP 429 with Retry-After, then succeeds', async () => {
    const api = await startFakeApi()
    api.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } })
    const { ctx, saved } = deliveryContext({ api_base: api.url, token: BOT_TOKEN })
    await slackAdapter.deliver(ctx, target, ['a'], { sent: 0 })
    expect(api.requests).toHaveLength(2)
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(900)
    expect(saved).toEqual([{ sent: 1 }])
  })

  it('reports a persistent 500 as retryable and 400/401/403 as permanent', async () => {
    const failing = await startFakeApi({ status: 500 })
    const first = deliveryContext({ api_base: failing.url, token: BOT_TOKEN })
    expect((await deliveryError(slackAdapter.deliver(first.ctx, target, ['a'], { sent: 0 }))).retryable).toBe(true)
    expect(failing.requests).toHaveLength(3)
    for (const status of [400, 401, 403]) {
      const api = await startFakeApi({ status })
      const { ctx } = deliveryContext({ api_base: api.url, token: BOT_TOKEN })
      const error = await deliveryError(slackAdapter.deliver(ctx, target, ['a'], { sent: 0 }))
      expect(error.retryable).toBe(false)
      expect(error.status).toBe(status)
      expect(api.requests).toHaveLength(1)
    }
  })

  it('reports a timeout as retryable', async () => {
    const api = await startFakeApi({ status: 200, body: { ok: true }, delayMs: 1500 })
    const { ctx } = deliveryContext({ api_base: api.url, token: BOT_TOKEN }, { timeoutMs: 200, attempts: 2 })
    const error = await deliveryError(slackAdapter.deliver(ctx, target, ['a'], { sent: 0 }))
    expect(error.retryable).toBe(true)
    expect(error.message).toMatch(/timed out/)
  })

  it('needs a bot token: without one the delivery fails for good, before sending', async () => {
    const api = await startFakeApi()
    const { ctx } = deliveryContext({ api_base: api.url })
    const error = await deliveryError(slackAdapter.deliver(ctx, target, ['a'], { sent: 0 }))
    expect(error.retryable).toBe(false)
    expect(error.message).toMatch(/bot token/)
    expect(api.requests).toHaveLength(0)
  })

  it('refuses a stored target without a usable channel', async () => {
    const api = await startFakeApi()
    const { ctx } = deliveryContext({ api_base: api.url, token: BOT_TOKEN })
    for (const bad of [{ via: 'chat' }, { via: 'chat', channel: 'C 1' }, { via: 'chat', channel: 'C1', thread_ts: 'soon' }] as ReplyTarget[]) {
      expect((await deliveryError(slackAdapter.deliver(ctx, bad, ['a'], { sent: 0 }))).retryable).toBe(false)
    }
    expect(api.requests).toHaveLength(0)
  })

  it('delivers a notice to an Events API message as a thread reply (its answer is not shown)', async () => {
    const api = await startFakeApi()
    const { ctx } = deliveryContext({ api_base: api.url, token: BOT_TOKEN })
    const message = onlyMessage(parse(fixture('message-im.json')))
    await slackAdapter.deliver(ctx, message.target, ['No active runs.'], { sent: 0 })
    expect(api.requests[0]!.json).toEqual({ channel: 'D0LAN1A2B', thread_ts: '1700000500.000600', text: 'No active runs.' })
  })
})
