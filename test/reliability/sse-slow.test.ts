// G-SSE-2: slow consumers. 100 clients follow one run of 20,000 events of about 1 KB (about 20 MB per
// client, far more than loopback's kernel buffers hold, so a client that does not read really is
// behind): the 90 that read get every event in order; the 10 that never read cost the gateway at
// most its user-space cap each (256 KiB, then the writer waits), are cut off by it, and never get the
// result; the gateway's RSS grows by at most 64 MiB. Then clients that half-close their connection
// while the writer waits on them are let go within 1 s: the gateway's SSE client gauge falls to 0.
//
// The gateway does not disconnect a client the moment 256 KiB wait for it: it stops writing to it
// (the reader holds a cursor into the run's log, not a buffer) and cuts it off once it has not
// drained for the stall timeout (60 s), so a client on a slow link can still catch up. The test
// measures that: when each silent client was cut off, and what it cost meanwhile.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, cleanupGatewayProcesses, postSigned, sleep, startGatewayProcess, waitFor, type GatewayProcess } from '../helpers/gateway-process.ts'
import { burstConfig, burstPrompt } from './burst-config.ts'
import { EventOrder } from './event-order.ts'
import { inMiB, MIB, watchRss } from './proc-watch.ts'
import { sampleValue, scrape } from './scrape-metrics.ts'
import { openSse, stalledClient, type StalledClient } from './sse-clients.ts'
import { body, expectBooksBalance, getRun } from './util.ts'

afterEach(cleanupGatewayProcesses)

const READERS = 90
const SILENT = 10
const EVENTS = 20_000
/** A 980-character line is a text event of about 1 KB on the wire. */
const LINE_BYTES = 980
/** The gateway's stall timeout (src/sse/sse-stream.ts): a client that does not drain for this long is cut off. */
const STALL_MS = 60_000

/** The gateway's SSE client gauge, polled until stopped: [ms since `from`, clients]. */
function watchGauge (gw: GatewayProcess, from: number, everyMs: number): { points: Array<[number, number]>, stop: () => Promise<void> } {
  const points: Array<[number, number]> = []
  let running = true
  const loop = (async () => {
    while (running) {
      try { points.push([Date.now() - from, sampleValue(await scrape(gw.url), 'hookgate_sse_clients')]) } catch {}
      await sleep(everyMs)
    }
  })()
  return { points, stop: async () => { running = false; await loop } }
}

async function gauge (gw: GatewayProcess): Promise<number> {
  return sampleValue(await scrape(gw.url), 'hookgate_sse_clients')
}

async function startRun (gw: GatewayProcess, gates: Array<[number, string]>): Promise<{ id: string, url: string, auth: Record<string, string> }> {
  const created = await postSigned(gw.url, body(burstPrompt({ lines: EVENTS, bytes: LINE_BYTES, gates })), { async: true })
  expect(created.status, created.text).toBe(202)
  const { id, token } = created.body as { id: string, token: string }
  await waitFor(() => existsSync(`${gates[0]![1]}.waiting`) ? true : undefined, 10_000)
  return { id, url: `${gw.url}/v1/runs/${id}/events`, auth: { authorization: `Bearer ${token}` } }
}

/** What a silent client got once it reads at last: its frames, the last id, and whether the result came. */
function silentSummary (text: string): { frames: number, lastId: number, result: boolean } {
  const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))
  return { frames: ids.length, lastId: ids.at(-1) ?? 0, result: /^event: result$/m.test(text) }
}

describe('G-SSE-2 slow consumers', () => {
  it(`${READERS} readers get all ${EVENTS} events in order while ${SILENT} silent clients are cut off; RSS growth ≤ 64 MiB`, async () => {
    const gw = await startGatewayProcess(burstConfig({ run_log_bytes: 32 * MIB }))
    const go = join(gw.dir, 'go')
    const run = await startRun(gw, [[0, go]])
    const silent: StalledClient[] = Array.from({ length: SILENT }, () => stalledClient(run.url, run.auth))
    await Promise.all(silent.map((c) => c.connected))
    const readers = Array.from({ length: READERS }, () => {
      const order = new EventOrder(LINE_BYTES)
      return { order, sse: openSse(run.url, { headers: run.auth, onFrame: (f) => order.frame(f) }) }
    })
    expect((await Promise.all(readers.map((r) => r.sse.status))).filter((s) => s !== 200)).toEqual([])
    await waitFor(async () => await gauge(gw) === READERS + SILENT ? true : undefined, 10_000)

    const memory = watchRss(gw.pid, 100)
    const started = Date.now()
    const clients = watchGauge(gw, started, 250)
    writeFileSync(go, '')
    const ends = await Promise.all(readers.map((r) => r.sse.done))
    const readersMs = Date.now() - started
    // Then the silent ones are cut off, at the latest a stall timeout after their socket filled up.
    const cutOff = await waitFor(async () => await gauge(gw) === 0 ? Date.now() - started : undefined, STALL_MS + 30_000, 250).catch(() => null)
    await clients.stop()
    const { base, peak } = memory.stop()
    const got = await Promise.all(silent.map(async (c) => {
      const all = await c.readAll(5000)
      return { closed: all.closed, bytes: all.bytes, ...silentSummary(all.text) }
    }))

    const summaries = readers.map((r) => r.order.summary())
    const lastId = summaries[0]!.lastId ?? 0
    const complete = summaries.filter((s, i) => ends[i]!.ended && s.result?.status === 'succeeded' && s.textLines === EVENTS && s.firstId === 1 &&
      s.lastId === lastId && s.frames === lastId && s.gaps === 0 && s.notIncreasing === 0 && s.wrongLines === 0 && s.resets === 0).length
    const drop = clients.points.find(([, n]) => n <= SILENT)
    console.log(`G-SSE-2: ${READERS} readers × ${lastId} events (~${LINE_BYTES + 40} B): ${complete}/${READERS} complete and in order in ${(readersMs / 1000).toFixed(1)} s, ` +
      `gaps ${summaries.reduce((n, s) => n + s.gaps, 0)}, not increasing ${summaries.reduce((n, s) => n + s.notIncreasing, 0)}; ` +
      `${SILENT} silent clients: ${got.filter((g) => g.closed).length} cut off by the gateway ${cutOff === null ? 'never' : `${(cutOff / 1000).toFixed(1)} s`} after the first event ` +
      `(readers done at ${((drop?.[0] ?? NaN) / 1000).toFixed(1)} s), each had received ${inMiB(Math.min(...got.map((g) => g.bytes)))}–${inMiB(Math.max(...got.map((g) => g.bytes)))} MiB ` +
      `(last ids ${Math.min(...got.map((g) => g.lastId))}–${Math.max(...got.map((g) => g.lastId))} of ${lastId}), results ${got.filter((g) => g.result).length}; ` +
      `gateway RSS ${inMiB(base)} → peak ${inMiB(peak)} MiB, growth ${inMiB(peak - base)} MiB`)

    expect((await getRun(gw.url, run.id)).run?.status, 'the run itself').toBe('succeeded')
    expect(complete, 'readers with every event, in order').toBe(READERS)
    expect(lastId).toBe(EVENTS + 4)
    expect(cutOff, 'ms from the first event until the gateway let go of every silent client').not.toBeNull()
    expect.soft(cutOff!, 'cut off within the stall timeout after their backlog stopped draining (plus 15 s)').toBeLessThanOrEqual(STALL_MS + 15_000)
    expect.soft(got.map((g) => ({ closed: g.closed, result: g.result, partial: g.lastId < lastId })), 'silent clients: closed by the gateway, without the result, mid-stream')
      .toEqual(got.map(() => ({ closed: true, result: false, partial: true })))
    expect.soft(peak - base, 'gateway RSS growth (bytes)').toBeLessThanOrEqual(64 * MIB)
    await expectBooksBalance(gw)
  }, 115_000)

  it(`lets go of ${SILENT} clients that half-close while the writer waits on them: the SSE client gauge is 0 within 1 s`, async () => {
    const gw = await startGatewayProcess(burstConfig({ run_log_bytes: 32 * MIB }))
    const go = join(gw.dir, 'go')
    const half = join(gw.dir, 'half')
    const run = await startRun(gw, [[0, go], [EVENTS / 2, half]])
    const silent = Array.from({ length: SILENT }, () => stalledClient(run.url, run.auth))
    await Promise.all(silent.map((c) => c.connected))
    await waitFor(async () => await gauge(gw) === SILENT ? true : undefined, 10_000)
    writeFileSync(go, '')
    // Half the events (about 10 MB per client) are out and the agent waits: every writer is blocked.
    await waitFor(() => existsSync(`${half}.waiting`) ? true : undefined, 30_000)
    await sleep(500)
    const blocked = await gauge(gw)

    const closedAt = Date.now()
    for (const c of silent) c.halfClose()
    const settledMs = await waitFor(async () => await gauge(gw) === 0 ? Date.now() - closedAt : undefined, 10_000, 20).catch(() => null)
    const closed = await Promise.all(silent.map(async (c) => (await c.readAll(3000)).closed))

    // The run goes on regardless, and a new reader gets all of it.
    writeFileSync(half, '')
    await waitFor(async () => (await getRun(gw.url, run.id)).run?.status === 'succeeded' ? true : undefined, 30_000)
    const order = new EventOrder(LINE_BYTES)
    const after = openSse(run.url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, onFrame: (f) => order.frame(f) })
    const end = await after.done
    const s = order.summary()
    console.log(`G-SSE-2 half-close: ${SILENT} clients blocked mid-stream (gauge ${blocked}) half-closed; every writer settled in ${settledMs ?? 'never (> 10000)'} ms ` +
      `(gauge 0), ${closed.filter(Boolean).length}/${SILENT} connections closed by the gateway; the run went on: a new reader got ${s.textLines} text events, gaps ${s.gaps}`)

    expect(blocked, 'writers waiting on the silent clients before the half-close').toBe(SILENT)
    expect(settledMs, 'ms from the half-close until no stream handler is left').not.toBeNull()
    expect(settledMs!).toBeLessThanOrEqual(1000)
    expect(closed).toEqual(silent.map(() => true))
    expect({ ended: end.ended, text: s.textLines, gaps: s.gaps, notIncreasing: s.notIncreasing, wrong: s.wrongLines, result: s.result?.status })
      .toEqual({ ended: true, text: EVENTS, gaps: 0, notIncreasing: 0, wrong: 0, result: 'succeeded' })
    await expectBooksBalance(gw)
  }, 60_000)
})
