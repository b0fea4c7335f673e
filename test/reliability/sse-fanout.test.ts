// G-SSE-1: fan-out. 1,000 event-stream clients follow one run of a real gateway process while its
// agent streams 2,000 text deltas of about 230 bytes as fast as it can: every client gets every
// event, ids strictly increasing with no gap and no repeat, in at most 15 s, and the gateway's RSS
// grows by at most 150 MiB. The agent waits until every client is connected, so the events really
// fan out live rather than being replayed to late readers.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupGatewayProcesses, postSigned, startGatewayProcess, waitFor } from '../helpers/gateway-process.ts'
import { burstConfig, burstPrompt } from './burst-config.ts'
import { EventOrder } from './event-order.ts'
import { inMiB, MIB, watchRss } from './proc-watch.ts'
import { sampleValue, scrape } from './scrape-metrics.ts'
import { openSse } from './sse-clients.ts'
import { body, expectBooksBalance } from './util.ts'

afterEach(cleanupGatewayProcesses)

const CLIENTS = 1000
const EVENTS = 2000
/** A 190-character line is a frame of about 230 bytes (`id:`, `event: text`, `data: {"text":…}`). */
const LINE_BYTES = 190
/** Connections opened at once: the listen backlog (511) must never overflow into SYN retries. */
const BATCH = 100

describe('G-SSE-1 fan-out', () => {
  it(`${CLIENTS} clients on one run each get all ${EVENTS} events, in order, within 15 s, RSS growth ≤ 150 MiB`, async () => {
    const gw = await startGatewayProcess(burstConfig({ sse_clients_per_run: CLIENTS + 10 }))
    const go = join(gw.dir, 'go')
    const created = await postSigned(gw.url, body(burstPrompt({ lines: EVENTS, bytes: LINE_BYTES, gates: [[0, go]] })), { async: true })
    expect(created.status, created.text).toBe(202)
    const { id, token } = created.body as { id: string, token: string }
    await waitFor(() => existsSync(`${go}.waiting`) ? true : undefined, 10_000)

    const memory = watchRss(gw.pid, 50)
    const connectStart = Date.now()
    const clients: Array<{ order: EventOrder, sse: ReturnType<typeof openSse> }> = []
    for (let i = 0; i < CLIENTS; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, CLIENTS - i) }, () => {
        const order = new EventOrder(LINE_BYTES)
        const sse = openSse(`${gw.url}/v1/runs/${id}/events`, { headers: { authorization: `Bearer ${token}` }, onFrame: (f) => order.frame(f) })
        return { order, sse }
      })
      const statuses = await Promise.all(batch.map((c) => c.sse.status))
      expect(statuses.filter((s) => s !== 200), `clients ${i}…${i + batch.length - 1}: statuses other than 200 (${await batch.find((c, k) => statuses[k] !== 200)?.sse.body})`).toEqual([])
      clients.push(...batch)
    }
    // Connected and following: each has the run's first events (queued, running, the session).
    await waitFor(() => clients.every((c) => c.order.summary().frames >= 3) ? true : undefined, 15_000)
    const connectMs = Date.now() - connectStart
    expect(sampleValue(await scrape(gw.url), 'hookgate_sse_clients'), 'the gateway counts every client').toBe(CLIENTS)

    const started = Date.now()
    writeFileSync(go, '')
    const ends = await Promise.all(clients.map((c) => c.sse.done))
    const deliverMs = Date.now() - started
    const { base, peak } = memory.stop()

    const summaries = clients.map((c) => c.order.summary())
    // Every event once: from id 1 to the result's, which is the same for all.
    const lastId = summaries[0]!.lastId
    const whole = (s: typeof summaries[number], i: number): boolean => ends[i]!.ended && s.result?.status === 'succeeded' && s.textLines === EVENTS &&
      s.firstId === 1 && s.lastId === lastId && s.frames === lastId && s.gaps === 0 && s.notIncreasing === 0 && s.wrongLines === 0 && s.afterResult === 0
    const complete = summaries.filter(whole).length
    const total = (key: 'gaps' | 'notIncreasing' | 'wrongLines' | 'textLines'): number => summaries.reduce((n, s) => n + s[key], 0)
    const bytes = clients.reduce((n, c) => n + c.sse.received(), 0)
    console.log(`G-SSE-1: ${CLIENTS} clients × ${lastId} events (${EVENTS} text deltas, ${(bytes / CLIENTS / (lastId ?? 1)).toFixed(0)} B per event on the wire): ` +
      `${complete}/${CLIENTS} got every event, ${total('textLines')} text events delivered, gaps ${total('gaps')}, not increasing ${total('notIncreasing')}, wrong lines ${total('wrongLines')}; ` +
      `delivered ${inMiB(bytes)} MiB in ${(deliverMs / 1000).toFixed(2)} s (clients connected in ${(connectMs / 1000).toFixed(2)} s); ` +
      `gateway RSS ${inMiB(base)} → peak ${inMiB(peak)} MiB, growth ${inMiB(peak - base)} MiB`)

    const broken = summaries.map((s, i) => ({ client: i, end: ends[i], ...s, result: s.result?.status ?? null })).filter((_s, i) => !whole(summaries[i]!, i))
    expect(broken.slice(0, 3), `${broken.length} clients missed something`).toEqual([])
    expect(complete).toBe(CLIENTS)
    expect(lastId).toBe(EVENTS + 4)
    expect(total('gaps')).toBe(0)
    expect(total('notIncreasing')).toBe(0)
    expect.soft(deliverMs, 'ms from the first line to the last client\'s result').toBeLessThanOrEqual(15_000)
    expect.soft(peak - base, 'gateway RSS growth (bytes)').toBeLessThanOrEqual(150 * MIB)
    await waitFor(async () => sampleValue(await scrape(gw.url), 'hookgate_sse_clients') === 0 ? true : undefined, 5000)
    await expectBooksBalance(gw)
  }, 110_000)
})
