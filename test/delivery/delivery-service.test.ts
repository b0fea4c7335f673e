// DeliveryService through real gateways on a real SQLite store: deliveries owed when a gateway stops
// are resumed by the next one on the same state directory (gateway.start() → deliveries.resume()),
// from the progress they had saved; a run a crash interrupted still gets its reply. The receivers are
// real HTTP servers on 127.0.0.1.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createHttpOutbound } from '../../src/delivery/http-outbound.ts'
import { ADMIN, buildTestGateway, SECRET, type TestGateway } from '../helpers/build-app.ts'
import { startFakeApi, type RecordedRequest } from '../helpers/fake-api.ts'
import { CALLBACK_SECRET, TELEGRAM_SECRET, telegramRequest } from '../helpers/platform-sign.ts'

const TELEGRAM_FIXTURES = resolve(import.meta.dirname, '../fixtures/platforms/telegram')
const BOT_TOKEN = '123456789:AAH-test_bot-token-0123456789abcdef'
/** Enough attempts that no delivery gives up while a test has the receiver down. */
const RETRY = { firstMs: 50, maxMs: 200, attempts: 200 }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function stateDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-delivery-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function ciCaller (callbackUrl: string): string {
  return `{ ci: { scheme: hmac-sha256, secrets: [${SECRET}], commands: [run], default_command: run, callback: { url: "${callbackUrl}/hook", secret: "${CALLBACK_SECRET}" } } }`
}

function telegramCaller (apiBase: string): string {
  return `{ tg: { scheme: telegram, secrets: [${TELEGRAM_SECRET}], users: ["412345678"], commands: [run], default_command: run, reply: { token: "${BOT_TOKEN}", api_base: "${apiBase}" } } }`
}

/** A gateway on `dir` (a restart when the directory was used before); closed at the end of the test at the latest. */
async function gateway (dir: string, callers: string, env: NodeJS.ProcessEnv = {}): Promise<TestGateway & { closed: () => Promise<void> }> {
  // One request per send: each answer of a receiver is one attempt of the delivery service.
  const gw = await buildTestGateway({ stateDir: dir, callers, env, deps: { outbound: createHttpOutbound({ attempts: 1 }), deliveryRetry: RETRY } })
  let closing: Promise<void> | null = null
  const closed = () => (closing ??= gw.close())
  onTestFinished(closed)
  return { ...gw, closed }
}

async function waitAudit (gw: TestGateway, match: (r: Record<string, unknown>) => boolean, ms = 10_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + ms
  for (;;) {
    const hit = gw.audit().find(match)
    if (hit !== undefined) return hit
    if (Date.now() > deadline) throw new Error(`no audit record matched within ${ms} ms; last: ${JSON.stringify(gw.audit().slice(-3))}`)
    await sleep(25)
  }
}

function deliveries (gw: TestGateway, runId: string): Array<Record<string, unknown>> {
  return gw.audit().filter((r) => r.event === 'delivery' && r.run === runId)
}

/** The delivery row as stored, read with a second connection (WAL: readers never block the gateway). */
function storedDelivery (dir: string, runId: string, channel: string): Record<string, unknown> | undefined {
  const db = new DatabaseSync(join(dir, 'hookgate.db'), { readOnly: true })
  try {
    return db.prepare('SELECT * FROM deliveries WHERE run_id = ? AND channel = ?').get(runId, channel) as Record<string, unknown> | undefined
  } finally {
    db.close()
  }
}

function headersOf (req: { headers: IncomingMessage['headers'] }): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') out[k] = v
  return out
}

async function sendCi (gw: TestGateway, text: string): Promise<string> {
  const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text }, { prefer: 'respond-async' }) })
  expect(res.statusCode).toBe(202)
  return (res.json() as { id: string }).id
}

function telegramUpdate (updateId: number, text: string): { body: string, headers: Record<string, string> } {
  const update = JSON.parse(readFileSync(join(TELEGRAM_FIXTURES, 'private-text.json'), 'utf8'))
  update.update_id = updateId
  update.message.text = text
  return telegramRequest(update)
}

async function sendTelegram (gw: TestGateway, updateId: number, text: string): Promise<string> {
  const req = telegramUpdate(updateId, text)
  const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/tg', payload: req.body, headers: req.headers })
  expect(res.statusCode).toBe(200)
  const accepted = await waitAudit(gw, (r) => r.event === 'accepted' && r.caller === 'tg')
  return accepted.run as string
}

function textOf (req: RecordedRequest): string {
  return (req.json as { text: string }).text
}

/** A recording receiver on a chosen port (the fake API picks its own). */
async function receiverOn (port: number): Promise<{ requests: Array<{ headers: IncomingMessage['headers'], body: string }>, server: Server }> {
  const requests: Array<{ headers: IncomingMessage['headers'], body: string }> = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve) })
  onTestFinished(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { requests, server }
}

/** A port nothing listens on (just released by the OS). */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('resume(): deliveries a stopped gateway still owed', () => {
  it('a callback whose receiver answered 500 until the gateway stopped is delivered exactly once by the next gateway, under the same webhook-id', async () => {
    const dir = stateDir()
    const api = await startFakeApi()
    let up = false
    api.route('/hook', () => up ? { status: 200 } : { status: 500 })

    const first = await gateway(dir, ciCaller(api.url))
    const id = await sendCi(first, 'deliver me later')
    await waitAudit(first, (r) => r.event === 'delivery' && r.run === id && r.status === 'retrying' && r.attempts === 2)
    await first.closed()
    const before = api.requests.length
    expect(before).toBeGreaterThanOrEqual(2)
    await sleep(400)
    // Stopped means stopped: no attempt after close.
    expect(api.requests.length).toBe(before)
    const pending = storedDelivery(dir, id, 'callback')!
    expect(pending.state).toBe('pending')
    const attemptsBefore = Number(pending.attempts)
    expect(attemptsBefore).toBe(before)

    up = true
    const second = await gateway(dir, ciCaller(api.url))
    const delivered = await waitAudit(second, (r) => r.event === 'delivery' && r.run === id && r.status === 'delivered')
    await sleep(500)
    const after = api.requests.slice(before)
    expect(after).toHaveLength(1)
    const body = new Webhook(CALLBACK_SECRET).verify(after[0]!.body, headersOf(after[0]!)) as Record<string, unknown>
    expect(body).toMatchObject({ id, status: 'succeeded' })
    expect(after[0]!.headers['webhook-id']).toBe(api.requests[0]!.headers['webhook-id'])
    expect(delivered).toMatchObject({ channel: 'callback', attempts: attemptsBefore + 1 })
    expect(storedDelivery(dir, id, 'callback')).toMatchObject({ state: 'done', attempts: attemptsBefore + 1 })
    // Every attempt is on record across both processes: retrying ×n, then delivered once.
    const statuses = deliveries(second, id).map((r) => r.status)
    expect(statuses.filter((s) => s === 'delivered')).toHaveLength(1)
    expect(statuses.filter((s) => s === 'retrying')).toHaveLength(attemptsBefore)

    // A third start finds nothing left to deliver.
    await second.closed()
    const third = await gateway(dir, ciCaller(api.url))
    await sleep(500)
    expect(api.requests.slice(before)).toHaveLength(1)
    expect(await third.app.gateway.deliveries.resume()).toBe(0)
  })

  it('a callback whose receiver refused connections is delivered once when it is back after the restart', async () => {
    const dir = stateDir()
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const first = await gateway(dir, ciCaller(url))
    const id = await sendCi(first, 'nobody home')
    const retrying = await waitAudit(first, (r) => r.event === 'delivery' && r.run === id && r.status === 'retrying')
    expect(retrying.reason).toBe(`127.0.0.1:${port}: ECONNREFUSED`)
    await first.closed()

    const receiver = await receiverOn(port)
    const second = await gateway(dir, ciCaller(url))
    await waitAudit(second, (r) => r.event === 'delivery' && r.run === id && r.status === 'delivered')
    await sleep(400)
    expect(receiver.requests).toHaveLength(1)
    expect((new Webhook(CALLBACK_SECRET).verify(receiver.requests[0]!.body, headersOf(receiver.requests[0]!)) as { id: string }).id).toBe(id)
  })

  it('a delivery that was already done is not sent again by the next gateway', async () => {
    const dir = stateDir()
    const api = await startFakeApi()
    const first = await gateway(dir, ciCaller(api.url))
    const id = await sendCi(first, 'once only')
    await waitAudit(first, (r) => r.event === 'delivery' && r.run === id && r.status === 'delivered')
    await first.closed()
    const second = await gateway(dir, ciCaller(api.url))
    await sleep(500)
    expect(api.requests).toHaveLength(1)
    expect(deliveries(second, id).map((r) => r.status)).toEqual(['delivered'])
  })

  it('a delivery that had failed for good (410) stays failed after a restart', async () => {
    const dir = stateDir()
    const api = await startFakeApi()
    api.enqueue({ status: 410 })
    const first = await gateway(dir, ciCaller(api.url))
    const id = await sendCi(first, 'gone')
    await waitAudit(first, (r) => r.event === 'delivery' && r.run === id && r.status === 'failed')
    await first.closed()
    const second = await gateway(dir, ciCaller(api.url))
    await sleep(500)
    expect(api.requests).toHaveLength(1)
    expect(storedDelivery(dir, id, 'callback')).toMatchObject({ state: 'failed', attempts: 1 })
    expect(deliveries(second, id).map((r) => r.status)).toEqual(['failed'])
  })
})

describe('progress survives a restart', () => {
  it('a three-part Telegram reply that failed after part 1 resumes at part 2: part 1 reaches the chat once', async () => {
    const dir = stateDir()
    const api = await startFakeApi()
    let up = true
    let okCount = 0
    api.route(/\/sendMessage$/, () => {
      if (!up) return { status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } }
      okCount++
      // Part 1 goes through, then the API goes down until the test brings it back.
      if (okCount === 1) up = false
      return { status: 200, body: { ok: true, result: { message_id: 500 + okCount } } }
    })
    // The fake claude echoes its prompt (twice: as `prompt` and in `argv`): a long text makes a long result.
    const words = Array.from({ length: 900 }, (_, i) => `w${String(i).padStart(4, '0')}`).join(' ')
    const first = await gateway(dir, telegramCaller(api.url))
    const id = await sendTelegram(first, 1001, words)
    await waitAudit(first, (r) => r.event === 'delivery' && r.run === id && r.status === 'retrying' && r.attempts === 2)
    await first.closed()
    const stored = storedDelivery(dir, id, 'reply')!
    expect(stored.state).toBe('pending')
    expect(JSON.parse(stored.progress as string)).toMatchObject({ sent: 1 })
    const beforeRestart = api.requests.length
    const part1 = textOf(api.requests[0]!)
    expect(part1).toMatch(/\(1\/(\d)\)$/)
    const total = Number(/\(1\/(\d)\)$/.exec(part1)![1])
    expect(total).toBeGreaterThanOrEqual(3)
    // Every attempt after part 1 was part 2.
    const part2Attempts = api.requests.slice(1).map(textOf)
    expect(part2Attempts.length).toBeGreaterThanOrEqual(2)
    for (const t of part2Attempts) expect(t).toMatch(new RegExp(`\\(2/${total}\\)$`))

    up = true
    okCount = 100
    const second = await gateway(dir, telegramCaller(api.url))
    await waitAudit(second, (r) => r.event === 'delivery' && r.run === id && r.status === 'delivered')
    await sleep(400)
    const after = api.requests.slice(beforeRestart).map(textOf)
    expect(after.map((t) => /\((\d)\/\d\)$/.exec(t)?.[1])).toEqual(Array.from({ length: total - 1 }, (_, i) => String(i + 2)))
    expect(after[0]).toBe(part2Attempts[0])
    const all = api.requests.map(textOf)
    expect(all.filter((t) => t === part1)).toHaveLength(1)
    // Nothing was lost: the parts hold every word of the prompt, in order.
    const delivered = [part1, ...after].join('\n')
    const positions = ['w0000', 'w0450', 'w0899'].map((w) => delivered.indexOf(w))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    expect(storedDelivery(dir, id, 'reply')).toMatchObject({ state: 'done' })
  })
})

describe('a run a crash interrupted', () => {
  it('still gets its Telegram reply, saying it was interrupted, in place of the live message the dead gateway had sent', async () => {
    const dir = stateDir()
    const api = await startFakeApi()
    api.route(/\/sendMessage$/, { status: 200, body: { ok: true, result: { message_id: 4242 } } })
    api.route(/\/editMessageText$/, { status: 200, body: { ok: true, result: { message_id: 4242 } } })
    const first = await gateway(dir, telegramCaller(api.url), { FAKE_CLAUDE_MODE: 'hang' })
    const id = await sendTelegram(first, 2001, 'think forever')
    // The live view: one "working" message, its id saved with the delivery.
    await api.waitFor(1, { match: /\/sendMessage$/ })
    await waitFor(() => (JSON.parse(String(storedDelivery(dir, id, 'reply')?.progress ?? '{}')) as { message_id?: number }).message_id === 4242)

    // The crash: the disk as it is at this instant, taken with SQLite's own consistent snapshot
    // (the dead gateway's memory, timers and agent are not part of it), and the audit log as written.
    const crashed = snapshot(dir)
    await first.closed()

    const api2 = await startFakeApi()
    api2.route(/\/editMessageText$/, { status: 200, body: { ok: true, result: { message_id: 4242 } } })
    api2.route(/\/sendMessage$/, { status: 200, body: { ok: true, result: { message_id: 4243 } } })
    const second = await gateway(crashed, telegramCaller(api2.url))
    await waitAudit(second, (r) => r.event === 'delivery' && r.run === id && r.status === 'delivered')
    await sleep(400)
    expect(api2.requests).toHaveLength(1)
    const [edit] = api2.requests
    expect(edit!.url).toBe(`/bot${BOT_TOKEN}/editMessageText`)
    expect(edit!.json).toMatchObject({ chat_id: 412345678, message_id: 4242 })
    expect(textOf(edit!)).toMatch(/^⚠ Interrupted: the gateway crashed or was killed while the run was running/)
    // The run is on record as interrupted, and the audit log says so.
    const run = await second.app.inject({ url: `/v1/runs/${id}`, headers: { authorization: `Bearer ${ADMIN}` } })
    expect(run.json()).toMatchObject({ id, status: 'interrupted' })
    expect(second.audit().some((r) => r.event === 'interrupted' && r.run === id)).toBe(true)
  })

  it('a run the gateway interrupted at a graceful stop is answered exactly once, by that gateway or the next', async () => {
    const dir = stateDir()
    const api = await startFakeApi()
    api.route(/\/sendMessage$/, { status: 200, body: { ok: true, result: { message_id: 77 } } })
    api.route(/\/editMessageText$/, { status: 200, body: { ok: true, result: { message_id: 77 } } })
    const first = await gateway(dir, telegramCaller(api.url), { FAKE_CLAUDE_MODE: 'hang' })
    const id = await sendTelegram(first, 3001, 'think forever')
    await waitAudit(first, (r) => r.event === 'started' && r.run === id)
    await first.closed()
    const second = await gateway(dir, telegramCaller(api.url))
    await waitFor(() => storedDelivery(dir, id, 'reply')?.state === 'done')
    await sleep(400)
    const finals = api.requests.filter((r) => /Interrupted/.test(textOf(r)))
    expect(finals).toHaveLength(1)
    expect(textOf(finals[0]!)).toMatch(/^⚠ Interrupted: gateway shutdown/)
    // One audit log for both processes (same state directory).
    expect(second.audit().filter((r) => r.event === 'delivery' && r.run === id && r.status === 'delivered')).toHaveLength(1)
  })
})

describe('stopping with deliveries in flight', () => {
  it('a callback receiver that never answers does not hold the gateway\'s stop past the delivery service\'s brief wait; the next gateway delivers', async () => {
    const dir = stateDir()
    const api = await startFakeApi()
    let hang = true
    api.route('/hook', () => hang ? { status: 200, delayMs: 60_000 } : { status: 200 })
    const first = await gateway(dir, ciCaller(api.url))
    const id = await sendCi(first, 'hold the line')
    await api.waitFor(1)
    const started = performance.now()
    await first.closed()
    const stopMs = performance.now() - started
    // DeliveryService.stop() waits 2 s for attempts in flight; a shutdown that waits for the
    // receiver's 10 s timeout instead eats most of `shutdown_grace` + 5 s and gets the process killed.
    expect(stopMs).toBeLessThan(4000)
    expect(storedDelivery(dir, id, 'callback')?.state).toBe('pending')

    hang = false
    const second = await gateway(dir, ciCaller(api.url))
    await waitAudit(second, (r) => r.event === 'delivery' && r.run === id && r.status === 'delivered')
  }, 30_000)

  it('a run interrupted by a graceful stop after its live message went out: that message is edited to say so, nothing else is sent', async () => {
    const dir = stateDir()
    const api = await startFakeApi()
    api.route(/\/sendMessage$/, { status: 200, body: { ok: true, result: { message_id: 88 } } })
    api.route(/\/editMessageText$/, { status: 200, body: { ok: true, result: { message_id: 88 } } })
    const first = await gateway(dir, telegramCaller(api.url), { FAKE_CLAUDE_MODE: 'hang' })
    const id = await sendTelegram(first, 3002, 'think forever')
    await api.waitFor(1, { match: /\/sendMessage$/ })
    await waitFor(() => (JSON.parse(String(storedDelivery(dir, id, 'reply')?.progress ?? '{}')) as { message_id?: number }).message_id === 88)
    await first.closed()
    const second = await gateway(dir, telegramCaller(api.url))
    await waitFor(() => storedDelivery(dir, id, 'reply')?.state === 'done')
    await sleep(400)
    expect(api.requests.map((r) => r.url.replace(/^\/bot[^/]+\//, ''))).toEqual(['sendMessage', 'editMessageText'])
    expect(api.requests[1]!.json).toMatchObject({ message_id: 88 })
    expect(textOf(api.requests[1]!)).toMatch(/^⚠ Interrupted: gateway shutdown/)
    expect(second.audit().filter((r) => r.event === 'delivery' && r.run === id).map((r) => r.status)).toEqual(['delivered'])
  })

  it('the callback of a run a crash interrupted is sent by the next gateway, with status interrupted', async () => {
    const dir = stateDir()
    const api = await startFakeApi()
    const first = await gateway(dir, ciCaller(api.url), { FAKE_CLAUDE_MODE: 'hang' })
    const id = await sendCi(first, 'never finishes')
    await waitAudit(first, (r) => r.event === 'started' && r.run === id)
    const crashed = snapshot(dir)
    await first.closed()
    const api2 = await startFakeApi()
    const second = await gateway(crashed, ciCaller(api2.url))
    const [cb] = await api2.waitFor(1)
    const body = new Webhook(CALLBACK_SECRET).verify(cb!.body, headersOf(cb!)) as Record<string, unknown>
    expect(body).toMatchObject({ id, status: 'interrupted', error: 'interrupted: the gateway crashed or was killed while the run was running' })
    expect(body).not.toHaveProperty('token')
    await waitAudit(second, (r) => r.event === 'delivery' && r.run === id && r.status === 'delivered')
    await sleep(300)
    expect(api2.requests).toHaveLength(1)
  })
})

describe('a store fault in the middle of a delivery', () => {
  it('does not turn a reply into failed for good: once the database is writable again, the rest of the reply goes out', async () => {
    const dir = stateDir()
    const api = await startFakeApi()
    let locker: DatabaseSync | null = null
    onTestFinished(() => { if (locker?.isOpen === true) locker.close() })
    let calls = 0
    api.route(/\/sendMessage$/, () => {
      calls++
      if (calls === 1) {
        // While part 1 is on its way back, another connection holds the write lock for 300 ms:
        // longer than the store's busy timeout (200 ms), far shorter than any retry.
        locker = new DatabaseSync(join(dir, 'hookgate.db'))
        locker.exec('BEGIN IMMEDIATE')
        setTimeout(() => { locker!.exec('ROLLBACK'); locker!.close() }, 300)
      }
      return { status: 200, body: { ok: true, result: { message_id: 600 + calls } } }
    })
    const words = Array.from({ length: 900 }, (_, i) => `w${String(i).padStart(4, '0')}`).join(' ')
    const gw = await gateway(dir, telegramCaller(api.url))
    const id = await sendTelegram(gw, 4001, words)
    await api.waitFor(1)
    // Whatever the service decides, it has decided within a few seconds.
    await waitFor(() => storedDelivery(dir, id, 'reply')?.state === 'done', 9000).catch(() => {})
    const d = storedDelivery(dir, id, 'reply')!
    const total = Number(/\(1\/(\d)\)$/.exec(textOf(api.requests[0]!))?.[1] ?? 0)
    expect.soft(d.state, `delivery row: ${JSON.stringify(d)}; audit: ${JSON.stringify(deliveries(gw, id))}`).toBe('done')
    expect(api.requests.length).toBeGreaterThanOrEqual(total)
    // What the audit log says matches what happened: no `failed` for a reply that went out.
    expect(deliveries(gw, id).map((r) => r.status)).not.toContain('failed')
  }, 20_000)
})

/**
 * A copy of a live state directory as a crash would leave it: the database through SQLite's own
 * consistent snapshot (VACUUM INTO), every other file (audit log, its key and head) as written.
 */
function snapshot (dir: string): string {
  const copy = stateDir()
  for (const name of readdirSync(dir)) {
    if (name.startsWith('hookgate.db')) continue
    cpSync(join(dir, name), join(copy, name), { recursive: true })
  }
  const db = new DatabaseSync(join(dir, 'hookgate.db'))
  try {
    db.exec(`VACUUM INTO '${join(copy, 'hookgate.db').replaceAll("'", "''")}'`)
  } finally {
    db.close()
  }
  return copy
}


describe('a store fault in the middle of a delivery, the lock held by another process', () => {
  it('a 350 ms write lock held by another process while part 1 is answered: the rest of the reply still goes out (at the latest after a restart)', async () => {
    const dir = stateDir()
    const texts: string[] = []
    // A Bot API stand-in that answers part 1 only once another process holds the database's write lock.
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        texts.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text: string }).text)
        const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result: { message_id: 700 + texts.length } }))
        if (texts.length !== 1) return answer()
        const locker = spawn(process.execPath, ['-e', `
          const { DatabaseSync } = require('node:sqlite')
          const db = new DatabaseSync(${JSON.stringify(join(dir, 'hookgate.db'))})
          db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked')
          setTimeout(() => { db.exec('ROLLBACK'); db.close() }, 350)`], { stdio: ['ignore', 'pipe', 'inherit'] })
        onTestFinished(() => { locker.kill('SIGKILL') })
        locker.stdout.once('data', answer)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
    const apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

    const words = Array.from({ length: 900 }, (_, i) => `w${String(i).padStart(4, '0')}`).join(' ')
    const first = await gateway(dir, telegramCaller(apiBase))
    const id = await sendTelegram(first, 5001, words)
    await waitAudit(first, (r) => r.event === 'delivery' && r.run === id)
    // Time for a retry after the lock is gone (the service waits 5 s after a store fault)…
    await waitFor(() => storedDelivery(dir, id, 'reply')?.state === 'done', 9000).catch(() => {})
    // …and a restart, which resumes whatever is still owed.
    await first.closed()
    const second = await gateway(dir, telegramCaller(apiBase))
    await sleep(1000)
    const total = Number(/\(1\/(\d)\)$/.exec(texts[0] ?? '')?.[1] ?? 0)
    expect(total).toBeGreaterThanOrEqual(3)
    const d = storedDelivery(dir, id, 'reply')!
    const parts = new Set(texts.map((t) => /\((\d)\/\d\)$/.exec(t)?.[1]))
    expect({ state: d.state, partsSent: [...parts].sort() }, `delivery row: ${JSON.stringify(d)}; audit: ${JSON.stringify(deliveries(second, id))}`)
      .toEqual({ state: 'done', partsSent: Array.from({ length: total }, (_, i) => String(i + 1)) })
  }, 30_000)
})

async function waitFor (check: () => boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await sleep(25)
  }
}
