// The signed `callback` any caller may have: the finished run object POSTed to the
// configured URL, signed with Standard Webhooks, retried with backoff under one stable webhook-id.
// A real gateway on a real port, a recording HTTP server as the receiver, and the official
// `standardwebhooks` package as the receiver's verifier.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { createHttpOutbound } from '../../../src/delivery/http-outbound.ts'
import { ADMIN, SECRET } from '../../helpers/build-app.ts'
import { startFakeApi, type FakeApi, type RecordedRequest } from '../../helpers/fake-api.ts'
import { platformGateway, type PlatformGateway } from '../../helpers/platform-gateway.ts'
import { CALLBACK_SECRET, TELEGRAM_SECRET, telegramRequest } from '../../helpers/platform-sign.ts'

const TELEGRAM_FIXTURES = resolve(import.meta.dirname, '../../fixtures/platforms/telegram')
const BOT_TOKEN = '123456789:AAH-test_bot-token-0123456789abcdef'
/**
 * platformGateway's shortened backoff, repeated: its `...opts` spread replaces the whole `deps`
 * (and with it `deliveryRetry`) as soon as a test passes `deps` of its own.
 */
const RETRY = { firstMs: 50, maxMs: 200, attempts: 4 }

function ciCaller (callbackUrl: string): string {
  return `{ ci: { scheme: hmac-sha256, secrets: [${SECRET}], commands: [run], default_command: run, callback: { url: "${callbackUrl}/hook", secret: "${CALLBACK_SECRET}" } } }`
}

/**
 * One attempt per send (the production client retries a few times inline; see the test below that
 * keeps it), so every answer of the fake is one delivery attempt of the delivery service.
 */
async function setup (opts: { inlineRetries?: boolean, env?: NodeJS.ProcessEnv } = {}): Promise<{ gw: PlatformGateway, api: FakeApi }> {
  const api = await startFakeApi()
  const outbound = createHttpOutbound(opts.inlineRetries === true ? { backoffMs: 20 } : { attempts: 1 })
  const gw = await platformGateway({
    callers: ciCaller(api.url),
    deps: { outbound, deliveryRetry: RETRY },
    ...(opts.env !== undefined ? { env: opts.env } : {})
  })
  return { gw, api }
}

/** POST /v1/hooks/ci signed, answered at once (202) with the run and its token. */
async function send (gw: PlatformGateway, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ status: number, run: Record<string, any> }> {
  const { payload, headers: signed } = gw.signed(body, headers)
  const res = await gw.post('/v1/hooks/ci', payload, signed)
  return { status: res.status, run: JSON.parse(res.text) as Record<string, any> }
}

function headersOf (req: RecordedRequest): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') out[k] = v
  return out
}

function verify (req: RecordedRequest): Record<string, any> {
  return new Webhook(CALLBACK_SECRET).verify(req.body, headersOf(req)) as Record<string, any>
}

function deliveryAudit (gw: PlatformGateway, runId: string): Array<[unknown, unknown, unknown]> {
  return gw.audit().filter((r) => r.event === 'delivery' && r.run === runId).map((r) => [r.channel, r.status, r.attempts])
}

async function getRun (gw: PlatformGateway, id: string): Promise<Record<string, any>> {
  const res = await gw.app.inject({ method: 'GET', url: `/v1/runs/${id}`, headers: { authorization: `Bearer ${ADMIN}` } })
  expect(res.statusCode).toBe(200)
  return res.json() as Record<string, any>
}

const settle = (ms = 600) => new Promise((resolve) => setTimeout(resolve, ms))

describe('callback: a generic hmac-sha256 caller', () => {
  it('the finished run is POSTed once, signed with Standard Webhooks, without the token the creating answer carried', async () => {
    const { gw, api } = await setup()
    const { status, run } = await send(gw, { text: 'explain the delivery service', user: 'ana' }, { prefer: 'respond-async' })
    expect(status).toBe(202)
    expect(typeof run.token).toBe('string')

    const [cb] = await api.waitFor(1)
    expect(cb!.method).toBe('POST')
    expect(cb!.url).toBe('/hook')
    const body = verify(cb!)
    expect(body).toMatchObject({ id: run.id, caller: 'ci', user: 'ana', command: 'run', status: 'succeeded' })
    expect(body).not.toHaveProperty('token')
    expect(cb!.body).not.toContain(run.token as string)
    expect(JSON.parse(body.output as string).prompt).toBe('explain the delivery service')
    // The body is the stored run, byte for byte what was signed.
    const stored = await getRun(gw, run.id as string)
    expect(body).toEqual(stored)
    // A timestamp close to now, and an id the receiver can deduplicate on.
    expect(Math.abs(Number(cb!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30)
    expect(String(cb!.headers['webhook-id'])).toMatch(/^[\x21-\x2d\x2f-\x7e]{1,256}$/)

    await gw.waitForAudit((r) => r.event === 'delivery' && r.run === run.id && r.status === 'delivered')
    await settle()
    expect(api.requests).toHaveLength(1)
    expect(deliveryAudit(gw, run.id as string)).toEqual([['callback', 'delivered', 1]])
  })

  it('a signature made with another secret does not verify (the check above can fail)', async () => {
    const { gw, api } = await setup()
    await send(gw, { text: 'hello' }, { prefer: 'respond-async' })
    const [cb] = await api.waitFor(1)
    const other = 'whsec_' + Buffer.from('another-secret-0123456789abcdefg').toString('base64')
    expect(() => new Webhook(other).verify(cb!.body, headersOf(cb!))).toThrow()
    expect(() => new Webhook(CALLBACK_SECRET).verify(cb!.body.replace('"succeeded"', '"failed"'), headersOf(cb!))).toThrow()
  })

  it('a run answered synchronously (200) also gets its callback, once', async () => {
    const { gw, api } = await setup()
    const { status, run } = await send(gw, { text: 'sync please' })
    expect(status).toBe(200)
    expect(run.status).toBe('succeeded')
    const [cb] = await api.waitFor(1)
    expect(verify(cb!).id).toBe(run.id)
    await settle()
    expect(api.requests).toHaveLength(1)
  })

  it('500, 500, 200: three attempts with the same webhook-id, each freshly signed; audited retrying ×2 then delivered', async () => {
    const { gw, api } = await setup()
    api.enqueue({ status: 500 }, { status: 500 }, { status: 200 })
    const { run } = await send(gw, { text: 'retry me' }, { prefer: 'respond-async' })
    const attempts = await api.waitFor(3)
    await gw.waitForAudit((r) => r.event === 'delivery' && r.run === run.id && r.status === 'delivered')
    await settle()
    expect(api.requests).toHaveLength(3)
    const ids = attempts.map((r) => r.headers['webhook-id'])
    expect(new Set(ids).size).toBe(1)
    expect(ids[0]).toBeTruthy()
    // Every attempt verifies on its own and carries the same run.
    for (const a of attempts) expect(verify(a).id).toBe(run.id)
    // Backoff between attempts (50 ms, then 100 ms in the test gateway).
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(40)
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(80)
    // …and the gateway's configured backoff, not the production one (2 s, 4 s, …).
    expect(attempts[2]!.at - attempts[0]!.at).toBeLessThan(1500)
    expect(deliveryAudit(gw, run.id as string)).toEqual([
      ['callback', 'retrying', 1],
      ['callback', 'retrying', 2],
      ['callback', 'delivered', 3]
    ])
    const retrying = gw.audit().filter((r) => r.event === 'delivery' && r.status === 'retrying')
    // The reason names the host and the status, never the URL's path or the receiver's body.
    for (const r of retrying) expect(r.reason).toBe(`${new URL(api.url).host}: answered 500`)
  })

  it('the production client\'s inline retries keep the same webhook-id too (one delivery attempt, three requests)', async () => {
    const { gw, api } = await setup({ inlineRetries: true })
    api.enqueue({ status: 502 }, { status: 503 }, { status: 204 })
    const { run } = await send(gw, { text: 'inline' }, { prefer: 'respond-async' })
    const attempts = await api.waitFor(3)
    await gw.waitForAudit((r) => r.event === 'delivery' && r.run === run.id && r.status === 'delivered')
    expect(new Set(attempts.map((r) => r.headers['webhook-id'])).size).toBe(1)
    for (const a of attempts) expect(verify(a).id).toBe(run.id)
    expect(deliveryAudit(gw, run.id as string)).toEqual([['callback', 'delivered', 1]])
  })

  it('410 Gone → failed after one attempt, audited, never retried', async () => {
    const { gw, api } = await setup()
    api.enqueue({ status: 410 })
    const { run } = await send(gw, { text: 'gone' }, { prefer: 'respond-async' })
    await gw.waitForAudit((r) => r.event === 'delivery' && r.run === run.id && r.status === 'failed')
    await settle()
    expect(api.requests).toHaveLength(1)
    expect(deliveryAudit(gw, run.id as string)).toEqual([['callback', 'failed', 1]])
    const failed = gw.audit().find((r) => r.event === 'delivery' && r.status === 'failed')!
    expect(failed.reason).toBe(`${new URL(api.url).host}: answered 410`)
  })

  it('a receiver that keeps failing → failed after the configured attempts (4 in tests), no more requests', async () => {
    const { gw, api } = await setup()
    api.route('/hook', { status: 503 })
    const { run } = await send(gw, { text: 'never' }, { prefer: 'respond-async' })
    await gw.waitForAudit((r) => r.event === 'delivery' && r.run === run.id && r.status === 'failed')
    await settle(800)
    expect(api.requests).toHaveLength(4)
    expect(deliveryAudit(gw, run.id as string)).toEqual([
      ['callback', 'retrying', 1],
      ['callback', 'retrying', 2],
      ['callback', 'retrying', 3],
      ['callback', 'failed', 4]
    ])
  })

  it('a receiver that cannot be reached (connection dropped) is retried like a 5xx', async () => {
    const { gw, api } = await setup()
    api.enqueue({ destroy: true }, { status: 200 })
    const { run } = await send(gw, { text: 'drop' }, { prefer: 'respond-async' })
    await gw.waitForAudit((r) => r.event === 'delivery' && r.run === run.id && r.status === 'delivered')
    expect(deliveryAudit(gw, run.id as string)).toEqual([['callback', 'retrying', 1], ['callback', 'delivered', 2]])
    expect(api.requests).toHaveLength(2)
    expect(api.requests[0]!.headers['webhook-id']).toBe(api.requests[1]!.headers['webhook-id'])
  })

  it('a failed run (the agent crashed) is delivered too, with its status and error', async () => {
    const { gw, api } = await setup({ env: { FAKE_CLAUDE_MODE: 'crash' } })
    const { run } = await send(gw, { text: 'crash' }, { prefer: 'respond-async' })
    const [cb] = await api.waitFor(1)
    const body = verify(cb!)
    expect(body.id).toBe(run.id)
    expect(body.status).toBe('failed')
    expect(body.exit_code).toBe(3)
  })

  it('a replayed request (same id) starts nothing and sends no second callback', async () => {
    const { gw, api } = await setup()
    const first = await send(gw, { text: 'once', id: 'job-42' }, { prefer: 'respond-async' })
    await api.waitFor(1)
    await gw.waitForAudit((r) => r.event === 'delivery' && r.run === first.run.id && r.status === 'delivered')
    const again = await send(gw, { text: 'once', id: 'job-42' }, { prefer: 'respond-async' })
    expect(again.run.id).toBe(first.run.id)
    await settle()
    expect(api.requests).toHaveLength(1)
  })

  it('two runs get two different webhook-ids', async () => {
    const { gw, api } = await setup()
    const a = await send(gw, { text: 'first' }, { prefer: 'respond-async' })
    const b = await send(gw, { text: 'second' }, { prefer: 'respond-async' })
    const got = await api.waitFor(2)
    const byRun = new Map(got.map((r) => [verify(r).id as string, r.headers['webhook-id']]))
    expect([...byRun.keys()].sort()).toEqual([a.run.id, b.run.id].sort())
    expect(byRun.get(a.run.id)).not.toBe(byRun.get(b.run.id))
  })
})

describe('callback: a platform caller with a reply and a callback', () => {
  it('telegram + callback: the chat gets the result through the Bot API and the callback gets the signed run', async () => {
    const api = await startFakeApi()
    api.route(/\/sendMessage$/, (req) => ({ status: 200, body: { ok: true, result: { message_id: 9000 + api.requests.indexOf(req), chat: { id: 412345678 } } } }))
    const gw = await platformGateway({
      callers: `{ tg: { scheme: telegram, secrets: [${TELEGRAM_SECRET}], users: ["412345678"], commands: [run], default_command: run, reply: { token: "${BOT_TOKEN}", api_base: "${api.url}" }, callback: { url: "${api.url}/hook", secret: "${CALLBACK_SECRET}" } } }`,
      deps: { outbound: createHttpOutbound({ attempts: 1 }), deliveryRetry: RETRY }
    })
    const update = JSON.parse(readFileSync(join(TELEGRAM_FIXTURES, 'private-text.json'), 'utf8'))
    const req = telegramRequest(update)
    const res = await gw.post('/v1/hooks/tg', req.body, req.headers)
    expect(res.status).toBe(200)

    const [cb] = await api.waitFor(1, { match: '/hook' })
    const run = verify(cb!)
    expect(run).toMatchObject({ caller: 'tg', user: '412345678', status: 'succeeded' })
    const [message] = await api.waitFor(1, { match: `/bot${BOT_TOKEN}/sendMessage` })
    expect(message!.json).toMatchObject({ chat_id: 412345678, reply_parameters: { message_id: 1342 } })
    expect((message!.json as { text: string }).text).toContain('explain the retry logic in src/delivery')
    // The Bot API request is not signed with the callback secret, and the callback not sent to the bot.
    expect(message!.headers['webhook-signature']).toBeUndefined()

    await gw.waitForAudit((r) => r.event === 'delivery' && r.run === run.id && r.channel === 'reply' && r.status === 'delivered')
    await gw.waitForAudit((r) => r.event === 'delivery' && r.run === run.id && r.channel === 'callback' && r.status === 'delivered')
    await settle()
    expect(api.requests.filter((r) => r.url === '/hook')).toHaveLength(1)
    expect(api.requests.filter((r) => r.url.endsWith('/sendMessage'))).toHaveLength(1)
    expect(deliveryAudit(gw, run.id as string).sort()).toEqual([['callback', 'delivered', 1], ['reply', 'delivered', 1]])
  })

  it('telegram + callback: a failing callback does not hold up or repeat the chat reply', async () => {
    const api = await startFakeApi()
    api.route(/\/sendMessage$/, { status: 200, body: { ok: true, result: { message_id: 77 } } })
    api.route('/hook', { status: 500 })
    const gw = await platformGateway({
      callers: `{ tg: { scheme: telegram, secrets: [${TELEGRAM_SECRET}], users: ["412345678"], commands: [run], default_command: run, reply: { token: "${BOT_TOKEN}", api_base: "${api.url}" }, callback: { url: "${api.url}/hook", secret: "${CALLBACK_SECRET}" } } }`,
      deps: { outbound: createHttpOutbound({ attempts: 1 }), deliveryRetry: RETRY }
    })
    const update = JSON.parse(readFileSync(join(TELEGRAM_FIXTURES, 'private-text.json'), 'utf8'))
    update.update_id = 864213580
    const req = telegramRequest(update)
    expect((await gw.post('/v1/hooks/tg', req.body, req.headers)).status).toBe(200)
    const failed = await gw.waitForAudit((r) => r.event === 'delivery' && r.channel === 'callback' && r.status === 'failed')
    await settle()
    expect(api.requests.filter((r) => r.url.endsWith('/sendMessage'))).toHaveLength(1)
    expect(api.requests.filter((r) => r.url === '/hook')).toHaveLength(4)
    expect(deliveryAudit(gw, failed.run as string).filter(([c]) => c === 'reply')).toEqual([['reply', 'delivered', 1]])
  })
})
