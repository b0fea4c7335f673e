// Deliveries survive kill -9: a real gateway process (`hookgate serve`) with a Telegram caller whose
// Bot API is a local recording server. A run killed with its gateway is recorded interrupted at the
// next start and the user is told so, once; a result the dead gateway could not deliver (the API was
// failing) is delivered once by the next one.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readAudit } from '../helpers/conservation.ts'
import { startFakeApi, type RecordedRequest } from '../helpers/fake-api.ts'
import {
  adminGet, auditVerify, chaosConfig, cleanupGatewayProcesses, descendantsAlive, postSigned, sleep, startGatewayProcess, waitFor,
  type GatewayProcess
} from '../helpers/gateway-process.ts'
import { CALLBACK_SECRET, TELEGRAM_SECRET, telegramRequest } from '../helpers/platform-sign.ts'
import { expectBooksBalance } from './util.ts'

afterEach(cleanupGatewayProcesses)

const BOT_TOKEN = '123456789:AAH-test_bot-token-0123456789abcdef'
const CHAT = 412345678
const CB_SECRET = 'callback-caller-secret-0123456789abcdef'
const FIXTURE = resolve(import.meta.dirname, '../fixtures/platforms/telegram/private-text.json')

/**
 * The chaos config plus a Telegram caller `tg` (default command `run`: the text is the agent's
 * prompt) and, with `callbackUrl`, a generic caller `cb` whose runs are posted there.
 */
function config (apiBase: string, opts: { callbackUrl?: string, concurrency?: number, shutdownGrace?: number } = {}): string {
  return chaosConfig({
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    ...(opts.shutdownGrace !== undefined ? { shutdownGrace: opts.shutdownGrace } : {}),
    extra: `${opts.callbackUrl === undefined ? '' : `  cb:
    scheme: hmac-sha256
    secrets: ["${CB_SECRET}"]
    commands: [run]
    default_command: run
    callback: { url: "${opts.callbackUrl}/hook", secret: "${CALLBACK_SECRET}" }
`}  tg:
    scheme: telegram
    secrets: ["${TELEGRAM_SECRET}"]
    users: ["${CHAT}"]
    commands: [run]
    default_command: run
    reply: { token: "${BOT_TOKEN}", api_base: "${apiBase}" }
`
  })
}

async function sendTelegram (gw: GatewayProcess, updateId: number, text: string): Promise<number> {
  const update = JSON.parse(readFileSync(FIXTURE, 'utf8'))
  update.update_id = updateId
  update.message.text = text
  const req = telegramRequest(update)
  const res = await fetch(`${gw.url}/v1/hooks/tg`, { method: 'POST', headers: req.headers, body: req.body })
  await res.text()
  return res.status
}

/** The ids of the runs the caller `tg` has, in the order they were accepted, once there are `n`. */
async function runsOf (gw: GatewayProcess, n: number): Promise<string[]> {
  return await waitFor(() => {
    const ids = readAudit(gw.stateDir).filter((r) => r.event === 'accepted' && r.caller === 'tg').map((r) => r.run as string)
    return ids.length >= n ? ids : undefined
  }, 5000)
}

/** The id of the (first) run of the caller `tg`. */
async function runOf (gw: GatewayProcess): Promise<string> {
  return (await runsOf(gw, 1))[0]!
}

function textOf (req: RecordedRequest): string {
  return String((req.json as { text?: unknown } | undefined)?.text ?? '')
}

function deliveryAudit (gw: GatewayProcess, runId: string): Array<[unknown, unknown]> {
  return readAudit(gw.stateDir).filter((r) => r.event === 'delivery' && r.run === runId).map((r) => [r.status, r.attempts])
}

describe('deliveries and kill -9', () => {
  it('a run killed with its gateway is recorded interrupted after the restart and the user is told so, exactly once', async () => {
    const api = await startFakeApi()
    api.route(/\/sendMessage$/, { status: 200, body: { ok: true, result: { message_id: 31337, chat: { id: CHAT } } } })
    api.route(/\/editMessageText$/, { status: 200, body: { ok: true, result: { message_id: 31337 } } })
    const gw = await startGatewayProcess(config(api.url))

    expect(await sendTelegram(gw, 7001, 'ms=30000 refactor the parser slowly')).toBe(200)
    const id = await runOf(gw)
    // The run is working and the chat shows it: the live "working" message is out.
    await waitFor(async () => (await adminGet(gw.url, `/v1/runs/${id}`)).body?.status === 'running' ? true : undefined, 5000)
    const [live] = await api.waitFor(1, { match: /\/sendMessage$/, timeoutMs: 5000 })
    expect(live!.json).toMatchObject({ chat_id: CHAT, reply_parameters: { message_id: 1342 } })
    // Give the gateway the moment it needs to record the live message's id.
    await sleep(300)

    gw.kill('SIGKILL')
    expect((await gw.exited).signal).toBe('SIGKILL')
    const before = api.requests.length
    const next = await gw.restart()

    const told = await waitFor(() => api.requests.slice(before).find((r) => /Interrupted/.test(textOf(r))), 10_000)
    expect(textOf(told)).toMatch(/^⚠ Interrupted: the gateway crashed or was killed while the run was running/)
    // It replaces the live message rather than adding a new one.
    expect(told.url).toBe(`/bot${BOT_TOKEN}/editMessageText`)
    expect(told.json).toMatchObject({ chat_id: CHAT, message_id: 31337 })
    await waitFor(() => deliveryAudit(next, id).some(([s]) => s === 'delivered') ? true : undefined, 5000)
    await sleep(1500)
    const after = api.requests.slice(before)
    expect(after.filter((r) => /Interrupted/.test(textOf(r)))).toHaveLength(1)
    expect(after).toHaveLength(1)
    expect(deliveryAudit(next, id)).toEqual([['delivered', 1]])

    const run = await adminGet(next.url, `/v1/runs/${id}`)
    expect(run.body).toMatchObject({ id, status: 'interrupted' })
    expect(readAudit(next.stateDir).filter((r) => r.event === 'interrupted' && r.run === id)).toHaveLength(1)
    // The dead gateway's agent did not outlive it, and the audit chain still verifies.
    await waitFor(() => descendantsAlive([id]).length === 0 ? true : undefined, 5000)
    expect((await auditVerify(next)).code).toBe(0)

    // Another restart owes nothing: the message is not sent again.
    next.kill('SIGTERM')
    await next.exited
    const third = await next.restart()
    await sleep(1500)
    expect(api.requests.slice(before)).toHaveLength(1)
    expect(deliveryAudit(third, id)).toEqual([['delivered', 1]])
    const books = await expectBooksBalance(third)
    console.log(`deliveries across kill -9: the running run was told "Interrupted" ${after.filter((r) => /Interrupted/.test(textOf(r))).length} time(s), by editing the live message; ` +
      `messages after two restarts ${api.requests.slice(before).length}; books ${JSON.stringify(books?.db.counts)}`)
  }, 60_000)

  it('killed right after the run finished while the Bot API answered 500: the next gateway delivers the result once', async () => {
    const api = await startFakeApi()
    let up = false
    let okAnswers = 0
    api.route(/\/sendMessage$/, () => {
      if (!up) return { status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } }
      okAnswers++
      return { status: 200, body: { ok: true, result: { message_id: 900 + okAnswers } } }
    })
    const gw = await startGatewayProcess(config(api.url))

    expect(await sendTelegram(gw, 7002, 'ms=200 quick one')).toBe(200)
    const id = await runOf(gw)
    // The first delivery attempt reaches the API (the run is final by then) and is refused with 500:
    // the gateway dies while it is retrying.
    const [firstTry] = await api.waitFor(1, { match: /\/sendMessage$/, timeoutMs: 10_000 })
    expect(textOf(firstTry!)).not.toMatch(/working/)
    gw.kill('SIGKILL')
    await gw.exited
    const failedBefore = api.requests.length
    const stored = await waitFor(async () => {
      const r = readAudit(gw.stateDir).find((e) => e.event === 'finished' && e.run === id)
      return r
    }, 2000)
    expect(stored).toMatchObject({ status: 'succeeded' })

    up = true
    const next = await gw.restart()
    await waitFor(() => deliveryAudit(next, id).some(([s]) => s === 'delivered') ? true : undefined, 15_000)
    await sleep(1500)
    expect(okAnswers).toBe(1)
    const delivered = api.requests.slice(failedBefore)
    expect(delivered).toHaveLength(1)
    expect(textOf(delivered[0]!)).toBe(textOf(firstTry!))
    expect(delivered[0]!.json).toMatchObject({ chat_id: CHAT, reply_parameters: { message_id: 1342 } })
    expect(deliveryAudit(next, id).filter(([s]) => s === 'delivered')).toHaveLength(1)
    const run = await adminGet(next.url, `/v1/runs/${id}`)
    expect(run.body).toMatchObject({ id, status: 'succeeded' })
    expect((await auditVerify(next)).code).toBe(0)
    const books = await expectBooksBalance(next)
    console.log(`deliveries across kill -9: a result the dead gateway could not deliver (Bot API 500) was delivered ${okAnswers} time(s) by the next one; books ${JSON.stringify(books?.db.counts)}`)
  }, 60_000)

  it('a run still queued when the gateway is killed is told it was not started; the running one that it was interrupted; one message each', async () => {
    const api = await startFakeApi()
    let nextId = 5000
    api.route(/\/sendMessage$/, () => ({ status: 200, body: { ok: true, result: { message_id: ++nextId } } }))
    api.route(/\/editMessageText$/, (req) => ({ status: 200, body: { ok: true, result: { message_id: (req.json as { message_id: number }).message_id } } }))
    const gw = await startGatewayProcess(config(api.url, { concurrency: 1 }))
    expect(await sendTelegram(gw, 7101, 'ms=30000 the long one')).toBe(200)
    expect(await sendTelegram(gw, 7102, 'ms=30000 the waiting one')).toBe(200)
    const [running, queued] = await runsOf(gw, 2)
    await waitFor(async () => (await adminGet(gw.url, `/v1/runs/${running}`)).body?.status === 'running' ? true : undefined, 5000)
    expect((await adminGet(gw.url, `/v1/runs/${queued}`)).body?.status).toBe('queued')
    gw.kill('SIGKILL')
    await gw.exited
    const before = api.requests.length
    const next = await gw.restart()
    await waitFor(() => [running, queued].every((id) => readAudit(next.stateDir).some((r) => r.event === 'delivery' && r.run === id && r.status === 'delivered')) ? true : undefined, 10_000)
    await sleep(1000)
    const finals = api.requests.slice(before).map(textOf)
    expect(finals.filter((t) => /^⚠ Interrupted: the gateway crashed or was killed while the run was running/.test(t))).toHaveLength(1)
    expect(finals.filter((t) => /^⚠ Not started: the gateway crashed or was killed before the run started/.test(t))).toHaveLength(1)
    expect(finals).toHaveLength(2)
    expect((await adminGet(next.url, `/v1/runs/${queued}`)).body).toMatchObject({ status: 'interrupted', started_at: null })
    const books = await expectBooksBalance(next)
    console.log(`deliveries across kill -9: running and queued runs told once each (${finals.map((t) => t.split(':')[0]).join(', ')}); books ${JSON.stringify(books?.db.counts)}`)
  }, 60_000)

  it('SIGTERM while a callback receiver hangs: the gateway still exits 0 within its shutdown grace, and the next one delivers the callback', async () => {
    const receiver = await startFakeApi()
    let hang = true
    receiver.route('/hook', () => hang ? { status: 200, delayMs: 60_000 } : { status: 200 })
    const gw = await startGatewayProcess(config('http://127.0.0.1:9', { callbackUrl: receiver.url, shutdownGrace: 2 }))
    const res = await postSigned(gw.url, JSON.stringify({ text: 'ms=100 quick' }), { caller: 'cb', secret: CB_SECRET })
    expect(res.status).toBe(200)
    const id = String(res.body!.id)
    await receiver.waitFor(1)

    const started = Date.now()
    gw.kill('SIGTERM')
    const exit = await gw.exited
    // Nothing runs; close-with-grace allows shutdown_grace + 5 s before it kills the process with code 1.
    expect({ code: exit.code, forced: /shutdown took too long/.test(gw.output()) }, gw.output()).toEqual({ code: 0, forced: false })
    expect(exit.at - started).toBeLessThan(5000)

    hang = false
    const next = await gw.restart()
    await waitFor(() => readAudit(next.stateDir).some((r) => r.event === 'delivery' && r.run === id && r.status === 'delivered') ? true : undefined, 10_000)
    expect((await auditVerify(next)).code).toBe(0)
    const books = await expectBooksBalance(next)
    console.log(`deliveries and SIGTERM: exit ${exit.code} ${exit.at - started} ms after SIGTERM with a callback receiver hanging (grace 2 s); the next gateway delivered the callback; books ${JSON.stringify(books?.db.counts)}`)
  }, 60_000)
})
