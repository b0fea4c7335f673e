import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { discordAdapter } from '../../src/platforms/discord/index.ts'
import type { CallerConfig, ReplyConfig } from '../../src/config/schema.ts'
import type { DeliveryContext, HttpAnswer, InboundMessage, InboundRequest, ParseResult, PermissionAsk, Reaction, ReplyTarget } from '../../src/platforms/adapter.ts'
import { permissionText } from '../../src/delivery/permission-text.ts'
import { startFakeApi, type FakeApi } from '../helpers/fake-api.ts'
import { deliveryContext, deliveryError } from '../helpers/delivery-context.ts'
import { platformGateway } from '../helpers/platform-gateway.ts'
import { discordKeys, discordRequest } from '../helpers/platform-sign.ts'

const APP = '1301234567890123456'
const NOW = Date.UTC(2026, 10, 21, 9, 21)
const RUN_ID = 'run_01JD2X7Q9R8S6T5V4W3X2Y1Z0A'
const PID = 'k3m9x2qa'
const EXPIRES_AT = '2026-11-21T09:25:00.000Z'
const TOKEN = (JSON.parse(readFileSync(new URL('../fixtures/platforms/discord/guild-ask.json', import.meta.url), 'utf8')) as { token: string }).token
const WEBHOOK = `/webhooks/${APP}/${TOKEN}`
const NO_MENTIONS = { parse: [] }

function ask (patch: Partial<Omit<PermissionAsk, 'text'>> = {}): PermissionAsk {
  const base = { pid: PID, runId: RUN_ID, tool: 'Bash', summary: 'npm test', expiresAt: EXPIRES_AT, ...patch }
  return { ...base, text: permissionText(base) }
}

function fixture (name: string): string {
  return readFileSync(new URL(`../fixtures/platforms/discord/${name}.json`, import.meta.url), 'utf8')
}

function edited (name: string, mutate: (interaction: any) => void): string {
  const interaction = JSON.parse(fixture(name))
  mutate(interaction)
  return JSON.stringify(interaction)
}

function caller (reply: Partial<ReplyConfig> = {}): CallerConfig {
  return { scheme: 'discord', secrets: ['d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'], users: ['283746501928374650'], commands: ['run'], default_command: 'run', reply }
}

function request (body: string, reply: Partial<ReplyConfig> = {}): InboundRequest {
  return {
    rawBody: Buffer.from(body),
    headers: { 'content-type': 'application/json', 'x-signature-ed25519': 'ab'.repeat(64), 'x-signature-timestamp': String(NOW / 1000) },
    callerId: 'discord',
    caller: caller(reply),
    now: NOW
  }
}

function parse (body: string, reply: Partial<ReplyConfig> = {}): ParseResult {
  return discordAdapter.parse(request(body, reply))
}

function onlyMessage (result: ParseResult): InboundMessage {
  expect(result.kind).toBe('messages')
  if (result.kind !== 'messages') throw new Error('not messages')
  expect(result.messages).toHaveLength(1)
  return result.messages[0]!
}

function json (answer: HttpAnswer): any {
  expect(answer.status).toBe(200)
  expect(answer.headers).toEqual({ 'content-type': 'application/json' })
  return JSON.parse(answer.body!)
}

/** A delivery context whose clock says `now`, talking to `api`. */
function context (api: FakeApi, now: number): DeliveryContext {
  const { ctx } = deliveryContext('discord', caller({ application_id: APP, api_base: api.url }), 'dlv_dc_perm', { attempts: 1 })
  return { ...ctx, now: () => now }
}

function target (receivedAt: number): ReplyTarget {
  return { application_id: APP, token: TOKEN, channel_id: '1298765432109876543', received_at: receivedAt }
}

async function webhookApi (): Promise<FakeApi> {
  return await startFakeApi({ status: 200, body: { id: '1309876543210999999', type: 20, content: 'ok', channel_id: '1298765432109876543' } })
}

describe('discord askPermission', () => {
  it('turns the "thinking…" answer into a waiting note, then posts the question as a follow-up with two buttons', async () => {
    const api = await webhookApi()
    await discordAdapter.askPermission!(context(api, NOW), target(NOW - 60_000), ask())

    expect(api.requests.map((r) => [r.method, r.url])).toEqual([
      ['PATCH', `${WEBHOOK}/messages/@original`],
      ['POST', WEBHOOK]
    ])
    // Interaction webhooks need no bot token: the interaction token in the path is the credential.
    for (const r of api.requests) {
      expect(r.headers.authorization).toBeUndefined()
      expect(r.body).not.toContain(TOKEN)
    }
    expect(api.requests[0]!.json).toEqual({ content: 'Waiting for permission to use Bash…', allowed_mentions: NO_MENTIONS })
    const question = api.requests[1]!.json as any
    expect(question.allowed_mentions).toEqual(NO_MENTIONS)
    expect(question.components).toEqual([{
      type: 1,
      components: [
        { type: 2, style: 3, label: 'Allow', custom_id: `perm:allow:${PID}` },
        { type: 2, style: 4, label: 'Deny', custom_id: `perm:deny:${PID}` }
      ]
    }])
  })

  it('shows the tool, the summary, a timestamp for the expiry and both typed commands', async () => {
    const api = await webhookApi()
    await discordAdapter.askPermission!(context(api, NOW), target(NOW - 60_000), ask())
    const content = (api.requests[1]!.json as { content: string }).content
    expect(content).toBe([
      'The agent asks permission (run run\\_01JD2X7Q9R8S6T5V4W3X2Y1Z0A):',
      '**Bash**: npm test',
      `No answer by <t:${Date.parse(EXPIRES_AT) / 1000}:t> means deny. You can also use /allow ${PID} or /deny ${PID}.`
    ].join('\n'))
  })

  it('escapes markdown, mentions and timestamps in the summary, so it shows exactly what will run', async () => {
    const api = await webhookApi()
    await discordAdapter.askPermission!(context(api, NOW), target(NOW - 60_000), ask({ summary: 'rm -rf **/*.tmp @everyone <t:0:R> `x`' }))
    const content = (api.requests[1]!.json as { content: string }).content
    expect(content).toContain('**Bash**: rm \\-rf \\*\\*\\/\\*\\.tmp \\@everyone \\<t\\:0\\:R\\> \\`x\\`')
  })

  it('refuses once the interaction token has expired (15 minutes), calling nothing', async () => {
    const api = await webhookApi()
    const error = await deliveryError(discordAdapter.askPermission!(context(api, NOW), target(NOW - 15 * 60_000), ask()))
    expect(error.retryable).toBe(false)
    expect(error.message).toContain('interaction token expired')
    expect(error.message).not.toContain(TOKEN)
    expect(api.requests).toHaveLength(0)
  })

  it('fails like a delivery when Discord refuses, without naming the token', async () => {
    const api = await startFakeApi({ status: 404, body: { message: 'Unknown Webhook', code: 10015 } })
    const error = await deliveryError(discordAdapter.askPermission!(context(api, NOW), target(NOW - 60_000), ask()))
    expect(error.status).toBe(404)
    expect(error.message).not.toContain(TOKEN)
  })

  it('round trip: a press on each button it sent parses into that button\'s command', async () => {
    const api = await webhookApi()
    await discordAdapter.askPermission!(context(api, NOW), target(NOW - 60_000), ask())
    const buttons = (api.requests[1]!.json as any).components[0].components as Array<{ custom_id: string }>
    const texts = buttons.map((b) => onlyMessage(parse(edited('permission-press', (i) => { i.data.custom_id = b.custom_id }))).text)
    expect(texts).toEqual([`/allow ${PID}`, `/deny ${PID}`])
  })
})

describe('discord permission button presses', () => {
  it('reads a press as /deny from the presser, in the channel, answered with the press\'s own token', () => {
    const press = JSON.parse(fixture('permission-press')) as { token: string }
    expect(parse(fixture('permission-press'))).toEqual({
      kind: 'messages',
      messages: [{
        text: `/deny ${PID}`,
        user: '283746501928374650',
        thread: '1298765432109876543',
        eventId: '1309876543210987690',
        target: { application_id: APP, token: press.token, channel_id: '1298765432109876543', received_at: NOW }
      }]
    })
  })

  it('takes the presser as the user, in a server or in a DM', () => {
    expect(onlyMessage(parse(edited('permission-press', (i) => { i.member.user.id = '999888777666555444' }))).user).toBe('999888777666555444')
    const dm = edited('permission-press', (i) => { delete i.member; delete i.guild_id; i.user = { id: '111222333444555666', username: 'bo' } })
    expect(onlyMessage(parse(dm)).user).toBe('111222333444555666')
  })

  it('accepts a press for the configured application and refuses one for another', () => {
    expect(parse(fixture('permission-press'), { application_id: APP }).kind).toBe('messages')
    expect(parse(fixture('permission-press'), { application_id: '1309999999999999999' })).toEqual({ kind: 'invalid', reason: 'other_application' })
  })

  it('answers a decision by editing the question in place: text kept, outcome added, buttons removed (UPDATE_MESSAGE)', () => {
    const question = (JSON.parse(fixture('permission-press')) as { message: { content: string } }).message.content
    const answer = discordAdapter.answer([{ kind: 'notice', text: `Denied Bash for ${RUN_ID}` }], request(fixture('permission-press')))
    expect(json(answer)).toEqual({
      type: 7,
      data: { content: `${question}\n\nDenied Bash for ${RUN_ID}`, components: [], allowed_mentions: NO_MENTIONS }
    })
  })

  it('answers a refusal ephemerally and leaves the question and its buttons for the right user', () => {
    const answer = discordAdapter.answer([{ kind: 'refused', text: 'Only the user who started the run can answer.' }], request(fixture('permission-press')))
    expect(json(answer)).toEqual({ type: 4, data: { content: 'Only the user who started the run can answer.', flags: 64, allowed_mentions: NO_MENTIONS } })
  })

  it('uses the notice alone when Discord sent no message content', () => {
    const body = edited('permission-press', (i) => { delete i.message })
    expect(json(discordAdapter.answer([{ kind: 'notice', text: 'Allowed.' }], request(body))).data.content).toBe('Allowed.')
  })

  it('acknowledges any other reaction to a press without changing the message', () => {
    const reactions: Reaction[][] = [[], [{ kind: 'finished', run: {} as never, parts: ['x'] }]]
    for (const r of reactions) expect(json(discordAdapter.answer(r, request(fixture('permission-press'))))).toEqual({ type: 6 })
  })

  it('answers a slash command as before, not as a press', () => {
    expect(json(discordAdapter.answer([{ kind: 'notice', text: 'hi' }], request(fixture('guild-ask'))))).toEqual({ type: 4, data: { content: 'hi', allowed_mentions: NO_MENTIONS } })
  })

  it.each([
    ['another feature\'s button (the old fixture)', fixture('component')],
    ['a foreign custom_id', edited('permission-press', (i) => { i.data.custom_id = `confirm:${PID}` })],
    ['an unknown decision', edited('permission-press', (i) => { i.data.custom_id = `perm:maybe:${PID}` })],
    ['an upper-case id', edited('permission-press', (i) => { i.data.custom_id = 'perm:allow:K3M9X2QA' })],
    ['a too long id', edited('permission-press', (i) => { i.data.custom_id = `perm:allow:${'k'.repeat(17)}` })],
    ['a trailing newline', edited('permission-press', (i) => { i.data.custom_id = `perm:allow:${PID}\n` })],
    ['a select menu with our custom_id', edited('permission-press', (i) => { i.data.component_type = 3; i.data.values = ['x'] })],
    ['no data', edited('permission-press', (i) => { delete i.data })],
    ['a modal submit with our custom_id', edited('permission-press', (i) => { i.type = 5 })]
  ])('acknowledges %s without running anything', (_name, body) => {
    const result = parse(body)
    expect(result).toMatchObject({ kind: 'ignore', reason: 'component' })
    if (result.kind !== 'ignore') throw new Error('expected ignore')
    expect(json(result.answer!)).toEqual({ type: 6 })
  })

  it.each([
    ['a numeric interaction id', edited('permission-press', (i) => { i.id = 1309876543210987690 }), 'bad_interaction_id'],
    ['no application_id', edited('permission-press', (i) => { delete i.application_id }), 'bad_application_id'],
    ['no token', edited('permission-press', (i) => { delete i.token }), 'bad_token'],
    ['a token with spaces', edited('permission-press', (i) => { i.token = 'abc def' }), 'bad_token'],
    ['a member without a user', edited('permission-press', (i) => { delete i.member.user }), 'bad_user'],
    ['a numeric user id', edited('permission-press', (i) => { i.member.user.id = 283746501928374650 }), 'bad_user'],
    ['a bad channel id', edited('permission-press', (i) => { i.channel_id = '../../channels' }), 'bad_channel_id']
  ])('refuses our button with %s as invalid', (_name, body, reason) => {
    expect(parse(body)).toEqual({ kind: 'invalid', reason })
  })
})

describe('discord permission presses through the webhook route', () => {
  it('hands the signed component interaction to parse unchanged: a stranger\'s press is refused ephemerally', async () => {
    const api = await webhookApi()
    const keys = discordKeys()
    const gw = await platformGateway({
      callers: `{ discord: { scheme: discord, secrets: [${keys.publicKeyHex}], users: ["283746501928374650"], commands: [run], default_command: run, reply: { api_base: "${api.url}", application_id: "${APP}" } } }`
    })
    const signed = await discordRequest(keys, JSON.parse(edited('permission-press', (i) => { i.member.user.id = '999888777666555444' })))

    const answer = await gw.post('/v1/hooks/discord', signed.body, signed.headers)

    expect(answer.status).toBe(200)
    const body = JSON.parse(answer.text)
    expect(body).toMatchObject({ type: 4, data: { flags: 64 } })
    expect(body.data.content).toContain('not allowed')

    // The right user's press reaches the gateway's /allow and gets a press answer, whatever it says.
    const own = await discordRequest(keys, JSON.parse(edited('permission-press', (i) => { i.id = '1309876543210987691' })))
    const ownAnswer = JSON.parse((await gw.post('/v1/hooks/discord', own.body, own.headers)).text)
    expect([4, 7]).toContain(ownAnswer.type)
  })
})
