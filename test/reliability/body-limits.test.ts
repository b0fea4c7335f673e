// G-BODY-1: oversized bodies and Slowloris against a real gateway process.
// (a) A 100 MiB body streamed to each kind of webhook route (hmac-sha256, standard-webhooks, github,
//     telegram), chunked (the gateway must count) and with its length declared: 413, having read at
//     most the cap plus 64 KiB (the kernel's count of the bytes the gateway read, /proc/<pid>/io), and
//     RSS growth ≤ 8 MiB. Every request is correctly signed: a valid signature is no way past the limit.
// (b) 500 connections that each send one header byte every 5 s, while 100 req/s of legitimate signed
//     requests (the /status built-in: verified, answered, no agent) run: the gateway closes every slow
//     connection within 20 s of its start, and the legitimate requests keep their baseline p99 (≤ 2×)
//     with no error.
import { createHmac, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { readAudit } from '../helpers/conservation.ts'
import { chaosConfig, cleanupGatewayProcesses, listAllRuns, SECRET, signedHeaders, sleep, startGatewayProcess } from '../helpers/gateway-process.ts'
import { patchConfig } from './config-patch.ts'
import { bytesRead, tcpBufferMax } from './kernel-counters.ts'
import { percentile } from './load.ts'
import { oversizeUpload, type UploadResult } from './oversize-upload.ts'
import { inMiB, MIB, openFds, watchRss } from './proc-watch.ts'
import { abandon, slowSocket, type SlowSocket } from './slowloris.ts'
import { steadyTraffic } from './steady-traffic.ts'
import { expectBooksBalance } from './util.ts'

afterEach(cleanupGatewayProcesses)

const KiB = 1024
const kib = (bytes: number): string => (bytes / KiB).toFixed(0)
const CAP = MIB
const TOTAL = 100 * MIB
const WHSEC = 'whsec_' + Buffer.from('standard-webhooks-secret-0123456').toString('base64')
const GITHUB_SECRET = 'github-webhook-secret-0123456789'
const TELEGRAM_SECRET = 'telegram-secret-token_0123456789'

const config = (): string => patchConfig(chaosConfig(), {
  limits: { body_bytes: CAP, per_address: { max: 1_000_000, window: 60 } },
  callers: {
    sw: { scheme: 'standard-webhooks', secrets: [WHSEC], commands: ['run'], default_command: 'run' },
    gh: { scheme: 'github', secrets: [GITHUB_SECRET], users: ['*'], prompt: 'Look at {repository}' },
    tg: { scheme: 'telegram', secrets: [TELEGRAM_SECRET], users: ['42'], commands: ['run'], default_command: 'run', reply: { token: '123:abc', api_base: 'http://127.0.0.1:9' } }
  }
})

/** HMAC-SHA256 over `prefix` and then `total` bytes of 'a' (the upload's body), fed in pieces. */
function macOverUpload (key: Buffer | string, prefix: string, total: number): Buffer {
  const mac = createHmac('sha256', key).update(prefix)
  const piece = Buffer.alloc(64 * KiB, 'a')
  for (let sent = 0; sent < total; sent += piece.length) mac.update(sent + piece.length <= total ? piece : piece.subarray(0, total - sent))
  return mac.digest()
}

/** Each route's headers, signed over the whole 100 MiB body exactly as its sender would sign it. */
function routes (): Array<{ scheme: string, caller: string, headers: Record<string, string> }> {
  const ts = String(Math.floor(Date.now() / 1000))
  const id = `msg_${randomBytes(8).toString('hex')}`
  return [
    { scheme: 'hmac-sha256', caller: 'ci', headers: { 'content-type': 'application/json', 'x-webhook-timestamp': ts, 'x-webhook-signature': `sha256=${macOverUpload(SECRET, `${ts}.`, TOTAL).toString('hex')}` } },
    { scheme: 'standard-webhooks', caller: 'sw', headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${macOverUpload(Buffer.from(WHSEC.slice(6), 'base64'), `${id}.${ts}.`, TOTAL).toString('base64')}` } },
    { scheme: 'github', caller: 'gh', headers: { 'content-type': 'application/json', 'x-github-event': 'workflow_run', 'x-github-delivery': randomBytes(16).toString('hex'), 'x-hub-signature-256': `sha256=${macOverUpload(GITHUB_SECRET, '', TOTAL).toString('hex')}` } },
    { scheme: 'telegram', caller: 'tg', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET } }
  ]
}

describe('G-BODY-1 oversized bodies and Slowloris', () => {
  it('(a) a 100 MiB body to every kind of route: 413 after reading at most the cap + 64 KiB, RSS growth ≤ 8 MiB', async () => {
    const gw = await startGatewayProcess(config())
    const { rmem, wmem } = tcpBufferMax()
    const seqBefore = readAudit(gw.stateDir).at(-1)?.seq ?? 0
    const memory = watchRss(gw.pid, 20)
    const attempts: Array<{ scheme: string, caller: string, framing: string, upload: UploadResult, read: number }> = []
    for (const route of routes()) {
      for (const framing of ['chunked', 'length'] as const) {
        const before = bytesRead(gw.pid)
        const upload = await oversizeUpload({ url: `${gw.url}/v1/hooks/${route.caller}`, headers: route.headers, totalBytes: TOTAL, framing, timeoutMs: 20_000 })
        // Anything the gateway still reads after the client saw the end counts too.
        await sleep(200)
        attempts.push({ scheme: route.scheme, caller: route.caller, framing, upload, read: bytesRead(gw.pid) - before })
      }
    }
    const rss = memory.stop()
    const rejected = readAudit(gw.stateDir).filter((r) => r.seq > seqBefore && r.event === 'rejected')

    for (const { scheme, framing, upload, read } of attempts) {
      // The kernel's count includes the request line, the headers and the chunk framing (9 bytes per 64 KiB).
      const allowed = CAP + 64 * KiB + upload.headBytes + 1 * KiB
      console.log(`G-BODY-1a ${scheme} ${framing}: answer ${upload.status ?? 'none'} at ${upload.answerMs?.toFixed(0) ?? '-'} ms, connection ended ${upload.ending} at ${upload.closeMs.toFixed(0)} ms; ` +
        `the client wrote ${inMiB(upload.written)} MiB of 100 before that, the gateway read ${kib(read)} KiB (goal ≤ ${kib(allowed)} KiB: the cap ${kib(CAP)} + 64 + headers and framing)`)
      expect.soft(upload.status, `${scheme} ${framing}: the answer the client received (${JSON.stringify(upload.answer.slice(0, 200))}, ${upload.ending})`).toBe(413)
      expect.soft(read, `${scheme} ${framing}: bytes the gateway read`).toBeLessThanOrEqual(allowed)
      // What the client wrote is what the gateway read plus what loopback TCP holds in flight at most.
      expect.soft(upload.written, `${scheme} ${framing}: bytes the client wrote`).toBeLessThanOrEqual(allowed + rmem + wmem)
      expect.soft(upload.ending, `${scheme} ${framing}: the gateway ends the connection`).not.toBe('timeout')
    }
    const tooLarge = rejected.filter((r) => r.reason === 'FST_ERR_CTP_BODY_TOO_LARGE')
    console.log(`G-BODY-1a RSS ${inMiB(rss.base)} → peak ${inMiB(rss.peak)} MiB, +${inMiB(rss.peak - rss.base)} MiB (goal ≤ 8); ` +
      `audit: ${tooLarge.length} body-too-large rejections for ${attempts.length} uploads; TCP buffer maxima rmem ${inMiB(rmem)} MiB, wmem ${inMiB(wmem)} MiB`)
    expect.soft(rss.peak - rss.base, 'gateway RSS growth (bytes)').toBeLessThanOrEqual(8 * MIB)
    expect.soft(tooLarge.map((r) => r.caller).sort(), 'one audited rejection per upload').toEqual(attempts.map((a) => a.caller).sort())
    expect(await listAllRuns(gw.url), 'runs created').toEqual([])
    await expectBooksBalance(gw)
  })

  it('(b) 500 Slowloris connections are closed within 20 s while 100 req/s of legitimate traffic keeps its p99 (≤ 2× baseline) with no error', async () => {
    const SLOW = 500
    const BYTE_EVERY_MS = 5000
    const WARMUP_MS = 1000
    const BASELINE_MS = 5000
    /** Node checks header timeouts every `connectionsCheckingInterval` (30 s by default): up to 15 + 30 s. */
    const DEADLINE_MS = 50_000
    const gw = await startGatewayProcess(config())
    const fileLimit = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${gw.pid}/limits`, 'utf8'))?.[1]
    const url = `${gw.url}/v1/hooks/ci`
    let n = 0
    const trafficStart = Date.now()
    const traffic = steadyTraffic({
      url,
      rate: 100,
      next: () => {
        const body = JSON.stringify({ text: '/status', user: `legit-${n++}` })
        return { body, headers: signedHeaders(body) }
      }
    })
    await sleep(WARMUP_MS + BASELINE_MS)
    const attackStart = Date.now()
    const sockets: SlowSocket[] = []
    // Opened 100 at a time: the listen backlog must not overflow into SYN retries.
    for (let i = 0; i < SLOW; i += 100) sockets.push(...await Promise.all(Array.from({ length: 100 }, () => slowSocket(url, BYTE_EVERY_MS))))
    const opened = Date.now() - attackStart
    let mostFds = openFds(gw.pid)
    while (sockets.some((s) => s.closedAt === null) && Date.now() - attackStart < DEADLINE_MS) {
      mostFds = Math.max(mostFds, openFds(gw.pid))
      await sleep(250)
    }
    const attackEnd = Date.now()
    const samples = await traffic.stop()
    const leftOpen = sockets.filter((s) => s.closedAt === null)
    for (const s of leftOpen) abandon(s)

    const lifetimes = sockets.filter((s) => s.closedAt !== null && s.connectedAt !== null).map((s) => (s.closedAt! - s.connectedAt!) / 1000)
    const answered408 = sockets.filter((s) => s.answer.startsWith('HTTP/1.1 408')).length
    // The first second warms the gateway up (JIT, lazy set-up); it is not part of the baseline.
    const baseline = samples.filter((s) => s.at >= trafficStart + WARMUP_MS && s.at < attackStart)
    const during = samples.filter((s) => s.at >= attackStart && s.at < attackEnd)
    const failed = samples.filter((s) => s.status !== 200)
    const p99Base = percentile(baseline.map((s) => s.ms), 99)
    const p99During = percentile(during.map((s) => s.ms), 99)
    console.log(`G-BODY-1b Slowloris: ${sockets.length} slow connections (opened in ${opened} ms), ` +
      `${lifetimes.length} closed by the gateway (${answered408} with 408), ${leftOpen.length} still open after ${DEADLINE_MS / 1000} s; ` +
      `lifetime min ${Math.min(...lifetimes).toFixed(1)} s, p50 ${percentile(lifetimes, 50).toFixed(1)} s, max ${Math.max(...lifetimes).toFixed(1)} s (goal ≤ 20); ` +
      `gateway fds at most ${mostFds}, open file limit ${fileLimit ?? '?'}`)
    console.log(`G-BODY-1b legitimate: ${samples.length} requests at 100 req/s, ${failed.length} not 200 ${JSON.stringify(failed.slice(0, 3))}; ` +
      `baseline ${baseline.length} requests p50 ${percentile(baseline.map((s) => s.ms), 50).toFixed(1)} ms p99 ${p99Base.toFixed(1)} ms; ` +
      `during the attack ${during.length} requests p50 ${percentile(during.map((s) => s.ms), 50).toFixed(1)} ms p99 ${p99During.toFixed(1)} ms (goal ≤ ${(2 * p99Base).toFixed(1)}), max ${percentile(during.map((s) => s.ms), 100).toFixed(1)} ms`)

    expect.soft(leftOpen.length, 'slow connections the gateway never closed').toBe(0)
    expect.soft(Math.max(...lifetimes), 'longest life of a slow connection (s)').toBeLessThanOrEqual(20)
    expect.soft(failed.length, 'legitimate requests that failed').toBe(0)
    expect.soft(p99During, 'legitimate p99 during the attack (ms)').toBeLessThanOrEqual(2 * p99Base)
    expect(await listAllRuns(gw.url), 'runs created').toEqual([])
    await expectBooksBalance(gw)
  }, 110_000)
})
