// Discord through a real gateway: Ed25519-signed interactions over TCP, the fake `claude` agent, a
// deferred answer, and the result delivered through the interaction's webhook on a fake Discord.
import { randomBytes, sign as edSign } from 'node:crypto'
import { verifyKey } from 'discord-interactions'
import { describe, expect, it } from 'vitest'
import { platformGateway, type PlatformGateway } from '../../helpers/platform-gateway.ts'
import { discordKeys, discordRequest, type DiscordKeys } from '../../helpers/platform-sign.ts'
import { startFakeApi, type FakeApi, type RecordedRequest } from '../../helpers/fake-api.ts'
import { sleep } from '../../helpers/audit-queries.ts'

const HOOK = '/v1/hooks/discord'
const APP = '1301234567890123456'
const USER = '283746501928374650'
const CHANNEL = '1298765432109876543'
const GUILD = '1187654321098765432'
const LIMIT = 2000
const NO_MENTIONS = { parse: [] }
const EPHEMERAL = 64
const DEFERRED = { type: 5 }

type Audit = Record<string, unknown>

function callers (api: string, keys: DiscordKeys): string {
  return `{ discord: { scheme: discord, secrets: [${keys.publicKeyHex}], users: ["${USER}"], commands: [run, deploy], default_command: run, reply: { api_base: "${api}", application_id: "${APP}" } } }`
}

/** A fake Discord: the interaction webhook answers with the message it made or edited. */
async function fakeDiscord (): Promise<FakeApi> {
  const api = await startFakeApi({ status: 404, body: { message: '404: Not Found', code: 0 } })
  api.route(`/webhooks/${APP}/`, (req) => ({ status: 200, body: { id: '1310000000000000001', channel_id: CHANNEL, content: (req.json as { content?: string } | undefined)?.content ?? '' } }))
  return api
}

async function setup (opts: { env?: Record<string, string>, limits?: string, server?: string, now?: () => number } = {}): Promise<{ gw: PlatformGateway, api: FakeApi, keys: DiscordKeys }> {
  const api = await fakeDiscord()
  const keys = discordKeys()
  const gw = await platformGateway({
    callers: callers(api.url, keys),
    env: opts.env ?? {},
    ...(opts.limits !== undefined ? { limits: opts.limits } : {}),
    ...(opts.server !== undefined ? { server: opts.server } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {})
  })
  return { gw, api, keys }
}

let snowflake = 1309876543210000000n + BigInt(Math.floor(Math.random() * 1e9))
const nextId = () => String(++snowflake)

interface Interaction { id: string, token: string, [key: string]: unknown }

/** An APPLICATION_COMMAND interaction from a guild member. */
function command (name: string, options: Array<{ name: string, type: number, value?: unknown, options?: unknown }> = [], opts: { user?: string } = {}): Interaction {
  return {
    app_permissions: '2248473465835073',
    application_id: APP,
    channel_id: CHANNEL,
    channel: { id: CHANNEL, guild_id: GUILD, name: 'agent', type: 0 },
    data: { id: '1301234567890200001', name, type: 1, ...(options.length > 0 ? { options } : {}), guild_id: GUILD },
    guild_id: GUILD,
    id: nextId(),
    locale: 'en-US',
    member: { roles: [], permissions: '2248473465835073', user: { id: opts.user ?? USER, username: 'ana.lima', global_name: 'Ana Lima', discriminator: '0' } },
    // Interaction tokens are long base64url-ish strings.
    token: 'aW50ZXJhY3Rpb246' + randomBytes(150).toString('base64url'),
    type: 2,
    version: 1
  }
}

const ask = (prompt: string, opts: { user?: string } = {}) => command('ask', [{ name: 'prompt', type: 3, value: prompt }], opts)

async function send (gw: PlatformGateway, keys: DiscordKeys, payload: unknown, nowSeconds?: number) {
  const signed = await discordRequest(keys, payload, nowSeconds)
  const answer = await gw.post(HOOK, signed.body, signed.headers)
  return { ...answer, signed }
}

/** Signs `body` as it is (discordRequest signs JSON.stringify of a payload, which cannot be malformed). */
async function signRaw (keys: DiscordKeys, body: string): Promise<{ body: string, headers: Record<string, string> }> {
  const timestamp = String(Math.floor(Date.now() / 1000))
  const signature = edSign(null, Buffer.from(timestamp + body), keys.privateKey).toString('hex')
  if (!await verifyKey(body, signature, timestamp, keys.publicKeyHex)) throw new Error('discord-interactions rejects the test signature')
  return { body, headers: { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp } }
}

function json (text: string): any {
  return JSON.parse(text)
}

function original (i: Interaction): string {
  return `/webhooks/${APP}/${i.token}/messages/@original`
}

function followUp (i: Interaction): string {
  return `/webhooks/${APP}/${i.token}`
}

function delivered (gw: PlatformGateway, run: string, timeoutMs?: number) {
  return gw.waitForAudit((r) => r.event === 'delivery' && r.run === run && r.channel === 'reply' && (r.status === 'delivered' || r.status === 'failed'), timeoutMs)
}

function forRun (gw: PlatformGateway, run: string): Audit[] {
  return gw.audit().filter((r) => r.run === run)
}

function accepted (gw: PlatformGateway): Audit[] {
  return gw.audit().filter((r) => r.event === 'accepted')
}

function lastRun (gw: PlatformGateway): string {
  const runs = accepted(gw)
  expect(runs.length).toBeGreaterThan(0)
  return runs.at(-1)!.run as string
}

function webhookCalls (api: FakeApi): RecordedRequest[] {
  return api.requests.filter((r) => r.url.startsWith('/webhooks/'))
}

function contentOf (r: RecordedRequest): string {
  return (r.json as { content: string }).content
}

/** A CHANNEL_MESSAGE_WITH_SOURCE answer: in place, mentions off, ephemeral when flagged. */
function message (content: string, flags?: number): unknown {
  return { type: 4, data: { content, allowed_mentions: NO_MENTIONS, ...(flags !== undefined ? { flags } : {}) } }
}

describe('discord end to end', () => {
  it('answers PING with PONG', async () => {
    const { gw, keys } = await setup()
    const a = await send(gw, keys, { application_id: APP, id: nextId(), token: 'x', type: 1, user: { id: USER }, version: 1 })
    expect(a.status).toBe(200)
    expect(a.headers['content-type']).toMatch(/^application\/json/)
    expect(json(a.text)).toEqual({ type: 1 })
    expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected', reason: 'ignored: ping' })
    expect(accepted(gw)).toHaveLength(0)
  })

  it('defers, runs the agent and edits the original response with the result', async () => {
    const { gw, api, keys } = await setup()
    const i = ask('why does the retry loop double the backoff?')
    const a = await send(gw, keys, i)
    expect(a.status).toBe(200)
    expect(a.headers['content-type']).toMatch(/^application\/json/)
    expect(json(a.text)).toEqual(DEFERRED)
    const run = lastRun(gw)
    expect(await delivered(gw, run)).toMatchObject({ status: 'delivered', attempts: 1, caller: 'discord', user: USER })
    const calls = webhookCalls(api)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.method).toBe('PATCH')
    expect(calls[0]!.url).toBe(original(i))
    // No bot token: the interaction token in the URL is the credential.
    expect(calls[0]!.headers.authorization).toBeUndefined()
    expect(calls[0]!.json).toEqual({ content: expect.any(String), allowed_mentions: NO_MENTIONS })
    expect(json(contentOf(calls[0]!))).toMatchObject({ prompt: 'why does the retry loop double the backoff?', prompt_source: 'stream-json' })
    const trail = forRun(gw, run).map((r) => r.event === 'delivery' ? `delivery:${String(r.status)}` : r.event)
    expect(trail).toEqual(['accepted', 'started', 'finished', 'delivery:delivered'])
    expect(gw.audit().filter((r) => r.event === 'request' && r.caller === 'discord')).toHaveLength(1)
  })

  it('answers every interaction of a saturated gateway inside 3 s and refuses the fourth ephemerally', async () => {
    const { gw, keys } = await setup({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '3000' }, limits: '{ concurrency: 1, queue: 2 }' })
    const answers = await Promise.all([1, 2, 3, 4].map(async (n) => send(gw, keys, ask(`job ${n}`))))
    console.log(`discord answers under saturation (ms): ${answers.map((a) => a.ms.toFixed(0)).join(', ')}`)
    for (const a of answers) {
      expect(a.status).toBe(200)
      expect(a.ms).toBeLessThanOrEqual(3000)
    }
    const bodies = answers.map((a) => json(a.text) as unknown)
    expect(bodies.filter((b) => JSON.stringify(b) === JSON.stringify(DEFERRED))).toHaveLength(3)
    expect(bodies.filter((b) => JSON.stringify(b) !== JSON.stringify(DEFERRED))).toEqual([message('The agent is busy with other work right now; try again in a minute.', EPHEMERAL)])
    expect(accepted(gw)).toHaveLength(3)
    expect(gw.audit().filter((r) => r.event === 'rejected' && r.reason === 'overloaded')).toHaveLength(1)
    await gw.close()
  })

  it('does not run the same interaction twice', async () => {
    const { gw, api, keys } = await setup()
    const i = ask('only once')
    const first = await send(gw, keys, i)
    expect(json(first.text)).toEqual(DEFERRED)
    // The same bytes, signed again, and the very same signed request.
    const resigned = await send(gw, keys, i, Math.floor(Date.now() / 1000) + 1)
    const replayed = await gw.post(HOOK, first.signed.body, first.signed.headers)
    for (const a of [resigned, replayed]) {
      expect(a.status).toBe(200)
      expect(json(a.text)).toEqual(DEFERRED)
    }
    const run = lastRun(gw)
    await delivered(gw, run)
    await sleep(300)
    expect(accepted(gw)).toHaveLength(1)
    expect(gw.audit().filter((r) => r.event === 'rejected' && r.reason === 'replayed')).toMatchObject([{ run }, { run }])
    expect(webhookCalls(api)).toHaveLength(1)
  })

  it('runs an interaction once when it arrives twice at the same time', async () => {
    const { gw, api, keys } = await setup()
    const i = ask('at the same time')
    const now = Math.floor(Date.now() / 1000)
    const answers = await Promise.all([send(gw, keys, i, now), send(gw, keys, i, now + 1), send(gw, keys, i, now + 2)])
    for (const a of answers) expect(json(a.text)).toEqual(DEFERRED)
    expect(accepted(gw)).toHaveLength(1)
    await delivered(gw, lastRun(gw))
    await sleep(300)
    expect(webhookCalls(api)).toHaveLength(1)
  })

  it('reads the user of a direct-message interaction', async () => {
    const { gw, api, keys } = await setup()
    const i = ask('from a DM') as Record<string, unknown>
    delete i.member
    delete i.guild_id
    i.user = { id: USER, username: 'ana.lima' }
    i.channel_id = '1310000000000000999'
    expect(json((await send(gw, keys, i)).text)).toEqual(DEFERRED)
    const run = lastRun(gw)
    expect(forRun(gw, run)[0]).toMatchObject({ user: USER })
    await delivered(gw, run)
    expect(webhookCalls(api)[0]!.url).toBe(original(i as unknown as Interaction))
  })

  it('refuses a user who is not in users, ephemerally and without a run', async () => {
    const { gw, api, keys } = await setup()
    const a = await send(gw, keys, ask('let me in', { user: '999999999999999999' }))
    expect(a.status).toBe(200)
    expect(json(a.text)).toEqual(message('Sorry, you are not allowed to use this bot. Ask its owner to add your user id.', EPHEMERAL))
    expect(gw.audit().find((r) => r.event === 'rejected')).toMatchObject({ caller: 'discord', user: '999999999999999999', reason: 'forbidden_user' })
    await sleep(300)
    expect(accepted(gw)).toHaveLength(0)
    expect(api.requests).toHaveLength(0)
  })

  it('answers the same 401 to a bad signature, another key, a timestamp out of the window, or no headers', async () => {
    const { gw, keys } = await setup()
    const i = ask('hello')
    const good = await discordRequest(keys, i)
    const unknown = await gw.post('/v1/hooks/nobody', good.body, good.headers)
    expect(unknown.status).toBe(401)
    const generic = json(unknown.text)
    expect(generic).toMatchObject({ statusCode: 401, code: 'HOOKGATE_UNAUTHORIZED' })

    const sig = good.headers['x-signature-ed25519']!
    const now = Math.floor(Date.now() / 1000)
    const ping = { application_id: APP, id: nextId(), token: 'x', type: 1, version: 1 }
    const cases: Array<[string, string, Record<string, string>]> = [
      ['flipped signature', good.body, { ...good.headers, 'x-signature-ed25519': sig.slice(0, 10) + (sig[10] === 'a' ? 'b' : 'a') + sig.slice(11) }],
      ['another body', good.body.replace('hello', 'hellp'), good.headers],
      ['another key', good.body, (await discordRequest(discordKeys(), i)).headers],
      ['stale', good.body, (await discordRequest(keys, i, now - 301)).headers],
      // Well past the window: the cases before it may take a second or more on a loaded machine,
      // and the window is measured from when the gateway reads the request.
      ['future', good.body, (await discordRequest(keys, i, now + 360)).headers],
      ['no headers', good.body, { 'content-type': 'application/json' }],
      // Discord checks an endpoint by sending PINGs with bad signatures: they must fail too.
      ['bad ping', JSON.stringify(ping), { ...(await discordRequest(discordKeys(), ping)).headers }]
    ]
    for (const [why, body, headers] of cases) {
      const a = await gw.post(HOOK, body, headers)
      expect(a.status, why).toBe(401)
      expect(json(a.text), why).toEqual(generic)
    }
    const reasons = gw.audit().filter((r) => r.event === 'rejected' && r.caller === 'discord').map((r) => r.reason)
    expect(reasons).toHaveLength(cases.length)
    expect(reasons.filter((r) => r === 'timestamp_out_of_window')).toHaveLength(2)
    expect(accepted(gw)).toHaveLength(0)
    // Just inside the window is fine.
    const inside = await send(gw, keys, i, now - 290)
    expect(json(inside.text)).toEqual(DEFERRED)
  })

  it('runs the built-ins: help, status and cancel of a running run', async () => {
    const { gw, api, keys } = await setup({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '500' } })
    const help = await send(gw, keys, command('help'))
    const helpBody = json(help.text) as { type: number, data: { content: string } }
    expect(helpBody).toEqual(message(helpBody.data.content))
    expect(helpBody.data.content).toContain('/run — Ask the agent')
    expect(helpBody.data.content).toContain('/status — your active runs')
    // A catch-all command with nothing in it asks for help.
    expect(json((await send(gw, keys, command('ask'))).text)).toEqual(helpBody)

    expect(json((await send(gw, keys, command('status'))).text)).toEqual(message('No active runs.'))

    const work = ask('take your time')
    expect(json((await send(gw, keys, work)).text)).toEqual(DEFERRED)
    const run = lastRun(gw)
    await gw.waitForAudit((r) => r.event === 'started' && r.run === run)
    const status = json((await send(gw, keys, command('status'))).text) as { data: { content: string } }
    expect(status.data.content).toMatch(new RegExp(`^${run} running /run since \\S+$`))

    const cancel = await send(gw, keys, command('cancel'))
    expect(json(cancel.text)).toEqual(message(`Cancelling ${run}.`))
    await gw.waitForAudit((r) => r.event === 'cancelled' && r.run === run)
    expect(await delivered(gw, run)).toMatchObject({ status: 'delivered' })
    const calls = webhookCalls(api)
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([`PATCH ${original(work)}`])
    expect(contentOf(calls[0]!)).toMatch(/^⛔ Cancelled/)
    expect(accepted(gw)).toHaveLength(1)
  })

  it('asks for confirmation of deploy production and runs it on confirm CODE', async () => {
    const { gw, api, keys } = await setup()
    const deploy = await send(gw, keys, command('deploy', [{ name: 'environment', type: 3, value: 'production' }]))
    const body = json(deploy.text) as { data: { content: string } }
    const m = /^\/deploy production needs confirmation: send \/confirm (\S+) within 5 minutes\.$/.exec(body.data.content)
    expect(m, body.data.content).not.toBeNull()
    expect(body).toEqual(message(body.data.content))
    expect(accepted(gw)).toHaveLength(0)

    const stranger = await send(gw, keys, command('confirm', [{ name: 'code', type: 3, value: m![1] }], { user: '999999999999999999' }))
    expect(json(stranger.text)).toMatchObject({ type: 4, data: { flags: EPHEMERAL, content: expect.stringMatching(/not allowed/) } })

    const confirm = command('confirm', [{ name: 'code', type: 3, value: m![1] }])
    expect(json((await send(gw, keys, confirm)).text)).toEqual(DEFERRED)
    const run = lastRun(gw)
    expect(forRun(gw, run)[0]).toMatchObject({ event: 'accepted', command: 'deploy', user: USER })
    await delivered(gw, run)
    const calls = webhookCalls(api)
    // The result replaces the confirming interaction's "thinking…".
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([`PATCH ${original(confirm)}`])
    expect(json(contentOf(calls[0]!))).toMatchObject({ prompt: 'Deploy to production.' })

    const reuse = json((await send(gw, keys, command('confirm', [{ name: 'code', type: 3, value: m![1] }]))).text) as { data: { content: string, flags?: number } }
    expect(reuse.data.flags).toBe(EPHEMERAL)
    expect(reuse.data.content).toMatch(/confirm/)
    expect(accepted(gw)).toHaveLength(1)
  })

  it('waits out a 429 and edits the response exactly once', async () => {
    const { gw, api, keys } = await setup()
    const limited = { status: 429, headers: { 'retry-after': '1' }, body: { message: 'You are being rate limited.', retry_after: 1, global: false } }
    api.enqueue(limited, limited, limited)
    const i = ask('rate limited')
    await send(gw, keys, i)
    const run = lastRun(gw)
    expect(await delivered(gw, run, 15_000)).toMatchObject({ status: 'delivered', attempts: 2 })
    await sleep(300)
    const calls = webhookCalls(api)
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(Array.from({ length: 4 }, () => `PATCH ${original(i)}`))
    expect(new Set(calls.map((c) => c.body)).size).toBe(1)
    for (let n = 1; n < calls.length; n++) expect(calls[n]!.at - calls[n - 1]!.at).toBeGreaterThanOrEqual(950)
    expect(forRun(gw, run).filter((r) => r.event === 'delivery').map((r) => [r.status, r.attempts])).toEqual([['retrying', 1], ['delivered', 2]])
  })

  it('gives up after the attempts when Discord fails every time, and keeps working', async () => {
    const { gw, api, keys } = await setup()
    const broken = { status: 500, body: { message: '500: Internal Server Error', code: 0 } }
    api.enqueue(...Array.from({ length: 12 }, () => broken))
    const i = ask('doomed')
    await send(gw, keys, i)
    const run = lastRun(gw)
    expect(await delivered(gw, run, 20_000)).toMatchObject({ status: 'failed', attempts: 4 })
    expect(forRun(gw, run).filter((r) => r.event === 'delivery').map((r) => [r.status, r.attempts])).toEqual([['retrying', 1], ['retrying', 2], ['retrying', 3], ['failed', 4]])
    expect(webhookCalls(api)).toHaveLength(12)
    // The interaction token is a credential: it is in no audit line.
    expect(JSON.stringify(gw.audit())).not.toContain(i.token)

    await send(gw, keys, ask('still there?'))
    expect(await delivered(gw, lastRun(gw))).toMatchObject({ status: 'delivered', attempts: 1 })
  })

  it('takes 404 Unknown Webhook as final after one attempt', async () => {
    const { gw, api, keys } = await setup()
    api.enqueue({ status: 404, body: { message: 'Unknown Webhook', code: 10015 } })
    await send(gw, keys, ask('gone'))
    const run = lastRun(gw)
    expect(await delivered(gw, run)).toMatchObject({ status: 'failed', attempts: 1, reason: expect.stringMatching(/answered 404/) })
    await sleep(300)
    expect(webhookCalls(api)).toHaveLength(1)
  })

  it('does not use an interaction token older than 15 minutes', async () => {
    let skew = 0
    const { gw, api, keys } = await setup({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '60' }, now: () => Date.now() + skew })
    const a = await send(gw, keys, ask('a slow one'))
    expect(json(a.text)).toEqual(DEFERRED)
    const run = lastRun(gw)
    // The run outlives the token: by the gateway's clock it finishes 15 minutes after the interaction.
    skew = 15 * 60_000
    expect(await delivered(gw, run)).toMatchObject({ status: 'failed', attempts: 1, reason: expect.stringMatching(/interaction token expired/) })
    expect(forRun(gw, run).find((r) => r.event === 'finished')).toMatchObject({ status: 'succeeded' })
    await sleep(300)
    expect(webhookCalls(api)).toHaveLength(0)
  })

  it('splits a long result into an edit and follow-ups of at most 2,000 characters, linking to the rest', async () => {
    const { gw, api, keys } = await setup({ server: '{ public_url: "http://127.0.0.1:1" }' })
    const prompt = Array.from({ length: 900 }, (_, i) => `wörd${i}`).join(' ')
    const i = ask(prompt)
    await send(gw, keys, i)
    const run = lastRun(gw)
    await delivered(gw, run)
    const calls = webhookCalls(api)
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([`PATCH ${original(i)}`, `POST ${followUp(i)}`, `POST ${followUp(i)}`, `POST ${followUp(i)}`])
    const texts = calls.map(contentOf)
    for (const [n, c] of calls.entries()) {
      expect(c.json).toEqual({ content: expect.any(String), allowed_mentions: NO_MENTIONS })
      expect([...texts[n]!].length).toBeLessThanOrEqual(LIMIT)
      expect(texts[n]!.endsWith(`(${n + 1}/4)`), texts[n]!.slice(-80)).toBe(true)
    }
    expect([...texts[0]!].length).toBeGreaterThan(LIMIT - 100)
    const link = /\nFull result: (http:\/\/127\.0\.0\.1:1(\/v1\/runs\/(run_\S+))\?token=(\S+))\n\(4\/4\)$/.exec(texts[3]!)
    expect(link, texts[3]!.slice(-300)).not.toBeNull()
    expect(link![3]).toBe(run)
    const read = await fetch(`${gw.url}${link![2]}?token=${link![4]}`)
    expect(read.status).toBe(200)
    const { output } = await read.json() as { output: string }
    expect(json(output).prompt).toBe(prompt)
    const shown = texts.map((t, n) => t.replace(/\n?\(\d\/4\)$/, '').replace(n === 3 ? /\n*✂ [\s\S]*$/ : /$^/, '')).join('')
    const squeeze = (s: string) => s.replace(/\s+/g, '')
    expect(squeeze(output).startsWith(squeeze(shown))).toBe(true)
    const omitted = Number(/✂ ([\d,]+) more characters/.exec(texts[3]!)![1]!.replaceAll(',', ''))
    expect(Math.abs([...output].length - [...shown].length - omitted)).toBeLessThanOrEqual(8)
    expect((await fetch(`${gw.url}${link![2]}/cancel?token=${link![4]}`, { method: 'POST' })).status).toBe(401)
    expect((await fetch(`${gw.url}${link![2]}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${link![4]}` } })).status).toBe(401)
  })

  it('never lets agent output ping @everyone, a role or a user', async () => {
    const { gw, api, keys } = await setup()
    const i = ask('tell @everyone and @here, <@&1187654321098765999> and <@283746501928374650>')
    await send(gw, keys, i)
    const run = lastRun(gw)
    await delivered(gw, run)
    const [patch] = webhookCalls(api)
    expect(patch!.json).toEqual({ content: expect.stringContaining('@everyone'), allowed_mentions: NO_MENTIONS })
    expect(json(contentOf(patch!)).prompt).toBe('tell @everyone and @here, <@&1187654321098765999> and <@283746501928374650>')
  })

  it('acknowledges components and autocomplete in their own form, without a run', async () => {
    const { gw, keys } = await setup()
    const base = { application_id: APP, id: nextId(), token: 'tok', member: { user: { id: USER } }, channel_id: CHANNEL, version: 1 }
    expect(json((await send(gw, keys, { ...base, type: 3, data: { custom_id: 'x', component_type: 2 } })).text)).toEqual({ type: 6 })
    expect(json((await send(gw, keys, { ...base, id: nextId(), type: 4, data: { name: 'ask', options: [] } })).text)).toEqual({ type: 8, data: { choices: [] } })
    expect(accepted(gw)).toHaveLength(0)
  })

  it('refuses malformed but signed interactions with 400 and runs nothing', async () => {
    const { gw, api, keys } = await setup()
    const variant = (mutate: (i: any) => void): string => { const i = ask('hi') as any; mutate(i); return JSON.stringify(i) }
    const cases: Array<[string, string]> = [
      ['{"type": 2, "id": ', 'malformed_json'],
      ['[2]', 'not_an_interaction'],
      [variant((i) => { i.type = 9 }), 'bad_interaction_type'],
      [variant((i) => { delete i.id }), 'bad_interaction_id'],
      [variant((i) => { i.id = 'abc' }), 'bad_interaction_id'],
      [variant((i) => { i.application_id = '1301234567890123457' }), 'other_application'],
      [variant((i) => { i.token = 'has a space' }), 'bad_token'],
      [variant((i) => { delete i.member }), 'bad_user'],
      [variant((i) => { i.member.user.id = 283746501928374650 }), 'bad_user'],
      [variant((i) => { i.channel_id = '#general' }), 'bad_channel_id'],
      [variant((i) => { delete i.data.name }), 'bad_command'],
      [variant((i) => { i.data.options = [{ name: 'prompt', type: 3, value: { nested: true } }] }), 'bad_options'],
      [variant((i) => { i.data.options = 'prompt' }), 'bad_options']
    ]
    for (const [body, reason] of cases) {
      const raw = await signRaw(keys, body)
      const a = await gw.post(HOOK, raw.body, raw.headers)
      expect(a.status, reason).toBe(400)
      expect(json(a.text), reason).toMatchObject({ statusCode: 400, code: 'HOOKGATE_BAD_REQUEST' })
      expect(gw.audit().at(-1), reason).toMatchObject({ event: 'rejected', caller: 'discord', reason: `invalid_payload: ${reason}` })
    }
    await sleep(300)
    expect(accepted(gw)).toHaveLength(0)
    expect(api.requests).toHaveLength(0)
  })
})
