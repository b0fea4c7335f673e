import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { slackAdapter } from '../../src/platforms/slack/index.ts'
import type { InboundMessage, InboundRequest, ParseResult, PermissionAsk, ReplyTarget } from '../../src/platforms/adapter.ts'
import type { CallerConfig, ReplyConfig } from '../../src/config/schema.ts'
import { permissionText } from '../../src/delivery/permission-text.ts'
import { startFakeApi, type RecordedRequest } from '../helpers/fake-api.ts'
import { deliveryContext as sharedDeliveryContext, deliveryError } from '../helpers/delivery-context.ts'
import { platformGateway } from '../helpers/platform-gateway.ts'
import { SLACK_SECRET, slackRequest } from '../helpers/platform-sign.ts'

const FIXTURES = new URL('../fixtures/platforms/slack/', import.meta.url)
const BOT_TOKEN = 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy'
const RUN_ID = 'run_01JD2X7Q9R8S6T5V4W3X2Y1Z0A'
const PID = 'k3m9x2qa'
const EXPIRES_AT = '2026-11-21T09:25:00.000Z'

function ask (patch: Partial<Omit<PermissionAsk, 'text'>> = {}): PermissionAsk {
  const base = { pid: PID, runId: RUN_ID, tool: 'Bash', summary: 'npm test', expiresAt: EXPIRES_AT, ...patch }
  return { ...base, text: permissionText(base) }
}

function fixture (name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8')
}

function caller (reply: ReplyConfig = {}): CallerConfig {
  return { scheme: 'slack', secrets: ['8f742231b10e8888abcd99yyyzzz85a5'], max_age: 300, commands: ['run'], users: ['U061F7AUR'], reply }
}

function request (body: string, reply: ReplyConfig = {}): InboundRequest {
  return {
    rawBody: Buffer.from(body),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    callerId: 'slack',
    caller: caller(reply),
    now: Date.UTC(2026, 10, 21, 9, 21)
  }
}

/** The payload of a press fixture, changed by `edit`, form-encoded as Slack sends it. */
function press (name: string, edit: (payload: Record<string, any>) => void = () => {}): string {
  const payload = JSON.parse(new URLSearchParams(fixture(name)).get('payload')!) as Record<string, any>
  edit(payload)
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString()
}

function parse (body: string, reply: ReplyConfig = {}): ParseResult {
  return slackAdapter.parse(request(body, reply))
}

function onlyMessage (result: ParseResult): InboundMessage {
  expect(result.kind).toBe('messages')
  if (result.kind !== 'messages') throw new Error('not messages')
  expect(result.messages).toHaveLength(1)
  return result.messages[0]!
}

function deliveryContext (reply: ReplyConfig) {
  return sharedDeliveryContext('slack', caller(reply), 'dlv_slack_perm')
}

function actionsOf (sent: RecordedRequest): Array<Record<string, any>> {
  const blocks = (sent.json as { blocks: Array<Record<string, any>> }).blocks
  const row = blocks.find((b) => b.type === 'actions')
  expect(row).toBeDefined()
  return row!.elements as Array<Record<string, any>>
}

const IGNORED = { kind: 'ignore', reason: 'interactivity', answer: { status: 200 } }

describe('slack askPermission', () => {
  it('posts the question with Allow and Deny buttons to a slash command\'s response_url', async () => {
    const api = await startFakeApi({ status: 200, body: 'ok', headers: { 'content-type': 'text/plain' } })
    const { ctx } = deliveryContext({ api_base: api.url, token: BOT_TOKEN })
    const target: ReplyTarget = { via: 'response_url', response_url: `${api.url}/commands/T061EG9R6/1/abc`, channel: 'C0LAN2Q65' }

    await slackAdapter.askPermission!(ctx, target, ask())

    expect(api.requests).toHaveLength(1)
    const [sent] = api.requests
    expect(sent!.method).toBe('POST')
    expect(sent!.url).toBe('/commands/T061EG9R6/1/abc')
    // The response_url is the credential: no bot token goes with it.
    expect(sent!.headers.authorization).toBeUndefined()
    expect(sent!.body).not.toContain(BOT_TOKEN)
    const body = sent!.json as Record<string, any>
    expect(body).toMatchObject({ response_type: 'ephemeral', replace_original: false })
    expect(body.text).toBe(ask().text)
    expect(actionsOf(sent!)).toEqual([
      { type: 'button', action_id: 'permission_allow', value: PID, style: 'primary', text: { type: 'plain_text', text: 'Allow' } },
      { type: 'button', action_id: 'permission_deny', value: PID, style: 'danger', text: { type: 'plain_text', text: 'Deny' } }
    ])
    expect(body.blocks.find((b: any) => b.type === 'actions').block_id).toBe('permission')
  })

  it('shows the tool, the summary, the expiry and both typed commands', async () => {
    const api = await startFakeApi({ status: 200, body: 'ok', headers: { 'content-type': 'text/plain' } })
    const { ctx } = deliveryContext({ api_base: api.url })
    await slackAdapter.askPermission!(ctx, { via: 'response_url', response_url: `${api.url}/c/1`, channel: 'C1' }, ask())
    const blocks = JSON.stringify((api.requests[0]!.json as any).blocks)
    expect(blocks).toContain('Bash: npm test')
    expect(blocks).toContain(RUN_ID)
    expect(blocks).toContain(`/allow ${PID}`)
    expect(blocks).toContain(`/deny ${PID}`)
    // A date token Slack shows in the reader's time zone, with a UTC fallback.
    expect(blocks).toContain(`<!date^${Date.parse(EXPIRES_AT) / 1000}^{date_short_pretty} {time}|2026-11-21 09:25 UTC>`)
  })

  it('shows a summary holding Slack markup literally (plain_text) and escapes it in the fallback text', async () => {
    const api = await startFakeApi({ status: 200, body: 'ok', headers: { 'content-type': 'text/plain' } })
    const { ctx } = deliveryContext({ api_base: api.url })
    await slackAdapter.askPermission!(ctx, { via: 'response_url', response_url: `${api.url}/c/1`, channel: 'C1' }, ask({ summary: 'echo <!channel> *bold* && rm x' }))
    const body = api.requests[0]!.json as Record<string, any>
    const summary = body.blocks.find((b: any) => b.text?.type === 'plain_text')
    expect(summary.text.text).toBe('Bash: echo <!channel> *bold* && rm x')
    expect(body.text).toContain('echo &lt;!channel&gt; *bold* &amp;&amp; rm x')
    expect(body.text).not.toContain('<!channel>')
  })

  it('posts into the message\'s thread with chat.postMessage and the bot token for Events API runs', async () => {
    const api = await startFakeApi({ status: 200, body: { ok: true, ts: '1700000200.000300' } })
    const { ctx } = deliveryContext({ api_base: api.url, token: BOT_TOKEN })
    await slackAdapter.askPermission!(ctx, { via: 'chat', channel: 'C0LAN2Q65', thread_ts: '1700000100.000100' }, ask())
    const [sent] = api.requests
    expect(sent!.url).toBe('/chat.postMessage')
    expect(sent!.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`)
    expect(sent!.json).toMatchObject({ channel: 'C0LAN2Q65', thread_ts: '1700000100.000100' })
    expect(actionsOf(sent!).map((a) => [a.action_id, a.value])).toEqual([['permission_allow', PID], ['permission_deny', PID]])
    expect(sent!.body).not.toContain(BOT_TOKEN)
  })

  it('fails like a delivery when Slack refuses the question', async () => {
    const api = await startFakeApi({ status: 200, body: { ok: false, error: 'channel_not_found' } })
    const { ctx } = deliveryContext({ api_base: api.url, token: BOT_TOKEN })
    const error = await deliveryError(slackAdapter.askPermission!(ctx, { via: 'chat', channel: 'C0', thread_ts: '1.2' }, ask()))
    expect(error.message).toBe('slack: chat.postMessage refused: channel_not_found')
    expect(error.retryable).toBe(false)
  })

  it('round trip: pressing a button it sent parses into that button\'s command', async () => {
    const api = await startFakeApi({ status: 200, body: { ok: true } })
    const { ctx } = deliveryContext({ api_base: api.url, token: BOT_TOKEN })
    await slackAdapter.askPermission!(ctx, { via: 'chat', channel: 'C0LAN2Q65', thread_ts: '1700000100.000100' }, ask())
    const buttons = actionsOf(api.requests[0]!)
    const texts = buttons.map((button) => onlyMessage(parse(press('permission-press.form', (p) => {
      p.actions = [{ ...button, block_id: 'permission', type: 'button', action_ts: '1700000230.445566' }]
    }))).text)
    expect(texts).toEqual([`/allow ${PID}`, `/deny ${PID}`])
  })
})

describe('slack permission button presses', () => {
  it('reads a press in a thread as /allow from the presser, in that thread, answered through the press\'s response_url', () => {
    expect(onlyMessage(parse(fixture('permission-press.form')))).toEqual({
      text: `/allow ${PID}`,
      user: 'U061F7AUR',
      thread: 'C0LAN2Q65:1700000100.000100',
      eventId: '7311562843241.6052516861.a7c3e9d1f5b2486c9e0d1a2b3c4d5e6f',
      target: { via: 'response_url', response_url: 'https://hooks.slack.com/actions/T061EG9R6/7311562848473/Zr1eMnB2iQrL8pUR9KaLlQ4o', channel: 'C0LAN2Q65' }
    })
  })

  it('keys a press on an ephemeral question (slash command) to the channel, as the slash command was', () => {
    expect(onlyMessage(parse(fixture('permission-press-ephemeral.form')))).toMatchObject({
      text: `/deny ${PID}`,
      user: 'U061F7AUR',
      thread: 'C0LAN2Q65',
      eventId: '7311562843242.6052516861.0f1e2d3c4b5a69788796a5b4c3d2e1f0'
    })
  })

  it('takes the presser, not the author of the question or of the run, as the user', () => {
    expect(onlyMessage(parse(press('permission-press.form', (p) => { p.user.id = 'U0OTHER99' }))).user).toBe('U0OTHER99')
  })

  it('answers a press with an empty 200 whatever the gateway says: Slack shows nothing of it, notices go by response_url', () => {
    const req = request(fixture('permission-press.form'))
    expect(slackAdapter.answerShows!(req)).toBe(false)
    expect(slackAdapter.answer([{ kind: 'notice', text: `Allowed Bash for ${RUN_ID}` }], req)).toEqual({ status: 200 })
    expect(slackAdapter.answer([{ kind: 'refused', text: 'Only the user who started the run can answer.' }], req)).toEqual({ status: 200 })
    // A slash command is still answered visibly.
    const slash = request(fixture('slash-command.form'))
    expect(slackAdapter.answerShows!(slash)).toBe(true)
    expect(JSON.parse(slackAdapter.answer([{ kind: 'notice', text: 'hi' }], slash).body!)).toEqual({ response_type: 'ephemeral', text: 'hi' })
  })

  it('delivers the gateway\'s notice for a press to that press\'s response_url', async () => {
    const api = await startFakeApi({ status: 200, body: 'ok', headers: { 'content-type': 'text/plain' } })
    const message = onlyMessage(parse(press('permission-press.form', (p) => { p.response_url = `${api.url}/actions/T1/2/xyz` }), { api_base: api.url }))
    const { ctx } = deliveryContext({ api_base: api.url })
    await slackAdapter.deliver(ctx, message.target, [`Allowed Bash for ${RUN_ID}`], { sent: 0 })
    expect(api.requests.map((r) => [r.url, (r.json as any).text])).toEqual([['/actions/T1/2/xyz', `Allowed Bash for ${RUN_ID}`]])
  })

  it.each([
    ['another app\'s button (the old fixture)', fixture('interactivity.form')],
    ['a foreign action_id', press('permission-press.form', (p) => { p.actions[0].action_id = 'approve' })],
    ['a foreign block_id', press('permission-press.form', (p) => { p.actions[0].block_id = 'perm' })],
    ['a missing block_id', press('permission-press.form', (p) => { delete p.actions[0].block_id })],
    ['an upper-case id', press('permission-press.form', (p) => { p.actions[0].value = 'K3M9X2QA' })],
    ['a too short id', press('permission-press.form', (p) => { p.actions[0].value = 'k3m' })],
    ['a too long id', press('permission-press.form', (p) => { p.actions[0].value = 'k'.repeat(17) })],
    ['an id with a command after it', press('permission-press.form', (p) => { p.actions[0].value = 'k3m9x2qa rm -rf /' })],
    ['an id with a newline', press('permission-press.form', (p) => { p.actions[0].value = 'k3m9x2qa\n' })],
    ['a numeric value', press('permission-press.form', (p) => { p.actions[0].value = 12345678 })],
    ['no value', press('permission-press.form', (p) => { delete p.actions[0].value })],
    ['two actions', press('permission-press.form', (p) => { p.actions.push(p.actions[0]) })],
    ['no actions', press('permission-press.form', (p) => { p.actions = [] })],
    ['a view submission', press('permission-press.form', (p) => { p.type = 'view_submission' })],
    ['a shortcut', press('permission-press.form', (p) => { p.type = 'shortcut' })]
  ])('ignores %s: never a command', (_name, body) => {
    expect(parse(body)).toEqual(IGNORED)
  })

  it.each([
    ['a payload that is not JSON', 'payload=%7Bnot+json', 'invalid_json'],
    ['a __proto__ key', `payload=${encodeURIComponent('{"type":"block_actions","__proto__":{"x":1}}')}`, 'invalid_json'],
    ['a payload without a type', `payload=${encodeURIComponent('{"actions":[]}')}`, 'bad_type'],
    ['two payload fields', `${fixture('permission-press.form')}&${fixture('interactivity.form')}`, 'duplicate_field'],
    ['no user', press('permission-press.form', (p) => { delete p.user }), 'bad_user'],
    ['a user id with spaces', press('permission-press.form', (p) => { p.user.id = 'U061 F7AUR' }), 'bad_user'],
    ['an oversize user id', press('permission-press.form', (p) => { p.user.id = 'U'.repeat(257) }), 'bad_user'],
    ['no trigger_id', press('permission-press.form', (p) => { delete p.trigger_id }), 'bad_trigger_id'],
    ['no channel', press('permission-press.form', (p) => { delete p.channel; delete p.container.channel_id }), 'bad_channel'],
    ['a bad thread_ts', press('permission-press.form', (p) => { p.message.thread_ts = 'yesterday' }), 'bad_thread_ts'],
    ['no response_url', press('permission-press.form', (p) => { delete p.response_url }), 'bad_response_url'],
    ['a response_url off Slack', press('permission-press.form', (p) => { p.response_url = 'https://evil.example/actions/1' }), 'bad_response_url']
  ])('refuses our button with %s as invalid', (_name, body, reason) => {
    expect(parse(body)).toEqual({ kind: 'invalid', reason })
  })
})

describe('slack permission presses through the webhook route', () => {
  it('hands the signed interactivity form to parse unchanged: a stranger\'s press is refused through its response_url', async () => {
    const api = await startFakeApi({ status: 200, body: 'ok', headers: { 'content-type': 'text/plain' } })
    const gw = await platformGateway({ callers: `{ slack: { scheme: slack, secrets: [${SLACK_SECRET}], users: [U061F7AUR], commands: [run], default_command: run, reply: { api_base: "${api.url}" } } }` })
    const body = press('permission-press.form', (p) => {
      p.user.id = 'U0STRANGER'
      p.response_url = `${api.url}/actions/T061EG9R6/1/press`
    })
    const signed = slackRequest(body, 'application/x-www-form-urlencoded')

    const answer = await gw.post('/v1/hooks/slack', signed.body, signed.headers)

    expect(answer.status).toBe(200)
    expect(answer.text).toBe('')
    const [sent] = await api.waitFor(1, { match: '/actions/T061EG9R6/1/press' })
    expect((sent!.json as { text: string }).text).toContain('not allowed')
    expect(gw.audit().some((r) => String(r.reason ?? '').startsWith('invalid_payload'))).toBe(false)

    // The right user's press reaches the gateway's /allow and whatever it answers comes back the same way.
    const own = slackRequest(press('permission-press.form', (p) => { p.response_url = `${api.url}/actions/T061EG9R6/2/press` }), 'application/x-www-form-urlencoded')
    expect(await gw.post('/v1/hooks/slack', own.body, own.headers)).toMatchObject({ status: 200, text: '' })
    const [reply] = await api.waitFor(1, { match: '/actions/T061EG9R6/2/press' })
    expect((reply!.json as { text: string }).text).not.toBe('')
  })
})
