// G-SSE-3: resume. During a 5,000-event run of a real gateway process, clients drop their
// connection 100 times in all, at random events, and come back after a random pause with
// `Last-Event-ID` (or `?lastEventId=`): pieced together, each got exactly the run's events, every one
// once, byte for byte what a client that never left got. The gateway keeps only the newest 64 KiB
// of events (`limits.run_log_bytes`, its minimum), so a client that comes back from further away,
// during the run or after it, gets an explicit `reset` carrying the current run object, then what is
// retained, in order, to the result.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { adminGet, cleanupGatewayProcesses, postSigned, sleep, startGatewayProcess, waitFor } from '../helpers/gateway-process.ts'
import { burstConfig, burstPrompt } from './burst-config.ts'
import { lineNumber } from './event-order.ts'
import { openSse, type SseFrame } from './sse-clients.ts'
import { body, expectBooksBalance, seededRandom } from './util.ts'

afterEach(cleanupGatewayProcesses)

const EVENTS = 5000
const LINE_BYTES = 40
/** Lines per second: the run lasts about 10 s, so every reconnect happens while it runs. */
const RATE = 500
const CLIENTS = 5
const CYCLES = 100
const SEED = Number(process.env.HOOKGATE_SSE_SEED ?? Date.now() % 1_000_000)

interface Seen { id: number, event: string, data: string }

const keep = (f: SseFrame): Seen => ({ id: f.id ?? -1, event: f.event, data: f.data.toString('utf8') })

/** Follows the stream once; `stopAfter` ends the connection (like a dropped client) once that id has come. */
function follow (url: string, headers: Record<string, string>, stopAfter: number | null, into: Seen[]): Promise<{ status: number, ended: boolean, error: string | null }> {
  let stopped = false
  const sse = openSse(url, {
    headers,
    onFrame: (f) => {
      if (stopped) return
      into.push(keep(f))
      if (stopAfter !== null && f.id !== null && f.id >= stopAfter) {
        stopped = true
        sse.close()
      }
    }
  })
  return Promise.all([sse.status, sse.done]).then(([status, done]) => ({ status, ...done }))
}

/** 0 gaps, 0 repeats: the ids of `frames` are exactly from, from + 1, … */
function idProblems (frames: Seen[], from: number): string[] {
  const problems: string[] = []
  frames.forEach((f, i) => { if (f.id !== from + i) problems.push(`frame ${i}: id ${f.id}, expected ${from + i}`) })
  return problems.slice(0, 5)
}

describe('G-SSE-3 resume', () => {
  it(`${CYCLES} random disconnects and reconnects with Last-Event-ID during a ${EVENTS}-event run lose and repeat nothing; a stale id gets reset and the current run`, async () => {
    const random = seededRandom(SEED)
    const gw = await startGatewayProcess(burstConfig({ run_log_bytes: 65_536 }))
    const go = join(gw.dir, 'go')
    const created = await postSigned(gw.url, body(burstPrompt({ lines: EVENTS, bytes: LINE_BYTES, rate: RATE, gates: [[0, go]] })), { async: true })
    expect(created.status, created.text).toBe(202)
    const { id, token } = created.body as { id: string, token: string }
    const url = `${gw.url}/v1/runs/${id}/events`
    const auth = { authorization: `Bearer ${token}` }
    await waitFor(() => existsSync(`${go}.waiting`) ? true : undefined, 10_000)

    // A client that never leaves: what everyone must end up with.
    const reference: Seen[] = []
    const whole = follow(url, auth, null, reference)
    await waitFor(() => reference.length >= 3 ? true : undefined, 5000)

    // The resuming clients: 20 cycles each, cut at random events over the whole run.
    let runOver = Infinity
    const reconnects: Array<{ at: number, during: boolean }> = []
    const resumers = Array.from({ length: CLIENTS }, (_, c) => {
      const cuts = [...new Set(Array.from({ length: CYCLES / CLIENTS * 3 }, () => 4 + Math.floor(random() * (EVENTS - 200))))].slice(0, CYCLES / CLIENTS).sort((a, b) => a - b)
      const pauses = cuts.map(() => Math.floor(random() * 150))
      const seen: Seen[] = []
      const done = (async () => {
        let status = await follow(url, auth, cuts[0]!, seen)
        for (let k = 0; k < cuts.length; k++) {
          await sleep(pauses[k]!)
          const last = String(seen.at(-1)!.id)
          const at = Date.now()
          reconnects.push({ at, during: at < runOver })
          // Half the cycles name the last id in the header, half in the query (for clients that cannot set headers).
          status = (k + c) % 2 === 0
            ? await follow(url, { ...auth, 'last-event-id': last }, cuts[k + 1] ?? null, seen)
            : await follow(`${url}?lastEventId=${last}`, auth, cuts[k + 1] ?? null, seen)
          if (status.status !== 200) throw new Error(`reconnect after ${last}: status ${status.status}`)
        }
        return status
      })()
      return { cuts, seen, done }
    })

    const started = Date.now()
    writeFileSync(go, '')
    // Late in the run (past the 4,096 events kept in memory and the ~760 the store keeps), a
    // client that last saw event 1 comes back.
    const stale: Seen[] = []
    await waitFor(() => (reference.at(-1)?.id ?? 0) >= 4400 ? true : undefined, 30_000)
    const staleRun = follow(url, { ...auth, 'last-event-id': '1' }, null, stale)
    const ended = await whole
    runOver = Date.now()
    await staleRun
    await Promise.all(resumers.map((r) => r.done))
    const runMs = runOver - started

    const final = (await adminGet(gw.url, `/v1/runs/${id}`)).body as Record<string, unknown>
    // And one after the run: from event 1, long gone from the store.
    const after: Seen[] = []
    await follow(url, { ...auth, 'last-event-id': '1' }, null, after)

    const byId = new Map(reference.map((f) => [f.id, f]))
    const lastId = reference.at(-1)!.id
    const resumeProblems = resumers.map((r, c) => {
      const ids = idProblems(r.seen, 1)
      const differ = r.seen.filter((f) => byId.get(f.id)?.data !== f.data || byId.get(f.id)?.event !== f.event).length
      return { client: c, frames: r.seen.length, lastId: r.seen.at(-1)?.id, idProblems: ids, differ }
    })
    const staleReset = stale[0]
    const staleRest = stale.slice(1)
    const afterReset = after[0]
    const afterRest = after.slice(1)
    const staleRunObject = staleReset === undefined ? null : JSON.parse(staleReset.data) as Record<string, unknown>
    console.log(`G-SSE-3: ${reconnects.length} reconnects (${reconnects.filter((r) => r.during).length} while the run ran, ${(runMs / 1000).toFixed(1)} s, seed ${SEED}) by ${CLIENTS} clients over ${lastId} events: ` +
      `${resumeProblems.filter((p) => p.idProblems.length === 0 && p.differ === 0 && p.frames === lastId).length}/${CLIENTS} got every event exactly once, ` +
      `gaps or repeats ${resumeProblems.reduce((n, p) => n + p.idProblems.length, 0)}, frames differing from the reference ${resumeProblems.reduce((n, p) => n + p.differ, 0)}; ` +
      `stale id 1 during the run: ${staleReset?.event} (id ${staleReset?.id}, run ${String(staleRunObject?.status)}) then ${staleRest.length} events from ${staleRest[0]?.id} to ${staleRest.at(-1)?.id}; ` +
      `after the run: ${afterReset?.event} (id ${afterReset?.id}) then ${afterRest.length} events`)

    expect(ended.ended, 'the reference client read to the end').toBe(true)
    expect(idProblems(reference, 1), 'the reference stream: ids 1, 2, 3, …').toEqual([])
    expect(reference.filter((f) => f.event === 'text').map((f) => lineNumber(Buffer.from(f.data))), 'the reference got every line once, in order')
      .toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1))
    expect(reference.at(-1)!.event).toBe('result')
    expect(reconnects.length).toBe(CYCLES)
    expect(reconnects.filter((r) => !r.during), 'reconnects after the run had finished').toEqual([])
    expect(resumeProblems, 'every resuming client: every event once, in order, identical to the reference')
      .toEqual(resumers.map((_, c) => ({ client: c, frames: lastId, lastId, idProblems: [], differ: 0 })))

    // The stale reconnect during the run: reset (the run as it is: running), then the retained events, contiguous, to the result.
    expect(staleReset?.event).toBe('reset')
    expect(staleRunObject).toMatchObject({ id, status: 'running' })
    expect(staleReset!.id).toBe(staleRest[0]!.id - 1)
    expect(staleReset!.id, 'the reset restarts past event 1').toBeGreaterThan(1)
    expect(idProblems(staleRest, staleRest[0]!.id)).toEqual([])
    expect(staleRest.filter((f) => byId.get(f.id)?.data !== f.data)).toEqual([])
    expect(staleRest.at(-1)!.event).toBe('result')
    // After the run: reset carrying the final run object, then the retained events to the result.
    expect(afterReset?.event).toBe('reset')
    expect(JSON.parse(afterReset!.data)).toEqual(final)
    expect(afterReset!.id).toBe(afterRest[0]!.id - 1)
    expect(idProblems(afterRest, afterRest[0]!.id)).toEqual([])
    expect(afterRest.at(-1)?.id).toBe(lastId)
    await expectBooksBalance(gw)
  }, 60_000)
})
