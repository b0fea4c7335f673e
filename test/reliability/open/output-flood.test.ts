// G-OUT-1: output floods against a real gateway process. An agent writes 1 GiB to stdout as fast as
// the pipe takes it, then another writes 1 GiB to stderr, while two other runs stream a line every
// 10 ms that carries the time it was printed. The gateway's RSS (with the processes it starts for
// itself, agents aside) grows by at most 64 MiB; what it keeps of the flooding run is within the
// configured caps (the run's output at most `max_output_bytes` plus a truncation marker whose
// dropped-bytes count is exact, its stored events at most `run_log_bytes`); the flooding agent is
// never left blocked on its pipe (it writes every byte and exits 0); and the other runs' events reach
// their readers with a p99 latency at most twice the one measured before the floods.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DatabaseSync } from 'node:sqlite'
import { statSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, chaosConfig, cleanupGatewayProcesses, postSigned, sleep, startGatewayProcess, waitFor, type GatewayProcess } from '../../helpers/gateway-process.ts'
import { patchConfig } from '../config-patch.ts'
import { floodAdmittedBytes } from '../flood-output.ts'
import { percentile } from '../load.ts'
import { watchGatewayMemory } from '../gateway-memory.ts'
import { inMiB, MIB } from '../proc-watch.ts'
import { openSse } from '../sse-clients.ts'
import { expectBooksBalance, FINAL, getRun } from '../util.ts'

afterEach(cleanupGatewayProcesses)

const FLOOD_AGENT = fileURLToPath(new URL('../../fixtures/flood-agent.mjs', import.meta.url))
const CLOCK_AGENT = fileURLToPath(new URL('../../fixtures/clock-agent.mjs', import.meta.url))
const FLOOD_BYTES = 1024 * MIB
const MAX_OUTPUT = 10 * MIB
const RUN_LOG = 16 * MIB
const BASELINE_MS = 5000
/** A gateway that drains a GiB slower than this (17 MiB/s) leaves its agent blocked on the pipe: a failure. */
const AGENT_TIMEOUT_S = 60
const secretOf = (caller: string): string => `${caller}-secret-0123456789abcdef`

interface Arrival { at: number, latency: number }

/** Follows a clock run's events and notes, for each line, when it arrived and how late. */
function followClock (gw: GatewayProcess, id: string): { arrivals: Arrival[], close: () => void } {
  const arrivals: Arrival[] = []
  const sse = openSse(`${gw.url}/v1/runs/${id}/events`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    onFrame: (frame) => {
      if (frame.event !== 'text') return
      const now = performance.timeOrigin + performance.now()
      const m = /"clock \d+ ([0-9.]+)\\n"/.exec(frame.data.toString('utf8'))
      if (m !== null) arrivals.push({ at: Date.now(), latency: now - Number(m[1]) })
    }
  })
  return { arrivals, close: sse.close }
}

/** The run's events as stored: count and bytes (event name plus JSON data), and the run row's size. */
function stored (stateDir: string, id: string): { events: number, eventBytes: number, rowBytes: number } {
  const db = new DatabaseSync(join(stateDir, 'hookgate.db'), { readOnly: true, timeout: 5000 })
  try {
    const e = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(CAST(data AS BLOB)) + LENGTH(event)), 0) AS bytes FROM events WHERE run_id = ?').get(id) as { n: number, bytes: number }
    const r = db.prepare('SELECT LENGTH(CAST(run AS BLOB)) AS bytes FROM runs WHERE id = ?').get(id) as { bytes: number } | undefined
    return { events: Number(e.n), eventBytes: Number(e.bytes), rowBytes: Number(r?.bytes ?? 0) }
  } finally {
    db.close()
  }
}

const dbFiles = (stateDir: string): number => ['hookgate.db', 'hookgate.db-wal'].reduce((n, f) => {
  try { return n + statSync(join(stateDir, f)).size } catch { return n }
}, 0)

describe('G-OUT-1 output flood', () => {
  it('1 GiB on stdout, then 1 GiB on stderr, while 2 other runs stream: RSS ≤ +64 MiB, capped log with an exact marker, agent never blocked, others\' p99 ≤ 2× baseline', async () => {
    const caller = (argv: string[], timeout = AGENT_TIMEOUT_S): Record<string, unknown> => ({ scheme: 'hmac-sha256', commands: ['run'], default_command: 'run', agent: { argv, timeout } })
    const gw = await startGatewayProcess(patchConfig(chaosConfig({ concurrency: 4, queue: 4, timeout: AGENT_TIMEOUT_S }), {
      agent: { max_output_bytes: MAX_OUTPUT },
      limits: { run_log_bytes: RUN_LOG },
      callers: {
        // The clocks outlive both floods; they are cancelled at the end.
        clock: { ...caller([process.execPath, CLOCK_AGENT, '{prompt}'], 150), secrets: [secretOf('clock')] },
        'flood-out': { ...caller([process.execPath, FLOOD_AGENT, String(FLOOD_BYTES), 'stdout']), secrets: [secretOf('flood-out')] },
        'flood-err': { ...caller([process.execPath, FLOOD_AGENT, String(FLOOD_BYTES), 'stderr']), secrets: [secretOf('flood-err')] }
      }
    }))
    const start = async (who: string, text: string): Promise<string> => {
      const a = await postSigned(gw.url, JSON.stringify({ text, user: who }), { caller: who, secret: secretOf(who), async: true })
      expect(a.status, `${who}: ${a.text}`).toBe(202)
      return String(a.body?.id)
    }
    const clocks = [await start('clock', 'ms=145000 every=10 first'), await start('clock', 'ms=145000 every=10 second')]
    const readers = clocks.map((id) => followClock(gw, id))
    await waitFor(() => readers.every((r) => r.arrivals.length > 10) ? true : undefined, 10_000)
    // From here: the gateway has started agents (and whatever it starts to run them) before.
    const memory = watchGatewayMemory(gw, 25)
    const baselineFrom = Date.now()
    await sleep(BASELINE_MS)

    const floods: Array<{ stream: string, id: string, from: number, to: number }> = []
    for (const stream of ['stdout', 'stderr']) {
      const from = Date.now()
      const id = await start(`flood-${stream === 'stdout' ? 'out' : 'err'}`, `flood to ${stream}`)
      const run = await waitFor(async () => {
        const { run } = await getRun(gw.url, id)
        return run !== null && FINAL.includes(run.status) ? run : undefined
      }, (AGENT_TIMEOUT_S + 30) * 1000, 100)
      floods.push({ stream, id, from, to: Date.now() })
      expect.soft(run.status, `the ${stream} flood ended ${run.status}: ${run.error}`).toBe('succeeded')
    }
    const rss = memory.stop()
    for (const id of clocks) await fetch(`${gw.url}/v1/runs/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    for (const r of readers) r.close()
    await waitFor(async () => (await Promise.all(clocks.map((id) => getRun(gw.url, id)))).every((g) => FINAL.includes(String(g.run?.status))) ? true : undefined, 10_000)

    const all = readers.flatMap((r) => r.arrivals)
    const latencies = (from: number, to: number): number[] => all.filter((a) => a.at >= from && a.at < to).map((a) => a.latency)
    const baseline = latencies(baselineFrom, floods[0]!.from)
    const p99Base = percentile(baseline, 99)
    console.log(`G-OUT-1 other runs before the floods: ${baseline.length} clock lines, latency p50 ${percentile(baseline, 50).toFixed(2)} ms, p99 ${p99Base.toFixed(2)} ms, max ${percentile(baseline, 100).toFixed(1)} ms`)

    const admitted = floodAdmittedBytes(FLOOD_BYTES, MAX_OUTPUT)
    // The agent's closing words ("\nflood done\n" on stderr) come after the cap too.
    const expectedDropped = FLOOD_BYTES + 12 - admitted
    for (const f of floods) {
      const { run } = await getRun(gw.url, f.id)
      const output = String(run?.output ?? '')
      const marker = /\n\[hookgate: output truncated, (\d+) bytes dropped\]$/.exec(output)
      const kept = Buffer.byteLength(output) - (marker?.[0].length ?? 0)
      const disk = stored(gw.stateDir, f.id)
      const seconds = (Date.parse(String(run?.finished_at)) - Date.parse(String(run?.started_at))) / 1000
      console.log(`G-OUT-1 ${f.stream} flood: ${run?.status}, exit ${run?.exit_code}, ${run?.status === 'succeeded' ? '1 GiB' : 'stopped after'} ${seconds.toFixed(1)} s (${run?.status === 'succeeded' ? `${(1024 / seconds).toFixed(0)} MiB/s` : `agent timeout ${AGENT_TIMEOUT_S} s`}); ` +
        `output ${inMiB(kept)} MiB kept (cap ${inMiB(MAX_OUTPUT)}), truncated ${run?.truncated}, marker says ${marker?.[1] ?? 'nothing'} bytes dropped (expected ${expectedDropped}); ` +
        `stored: ${disk.events} events, ${inMiB(disk.eventBytes)} MiB (cap run_log_bytes ${inMiB(RUN_LOG)}), run row ${inMiB(disk.rowBytes)} MiB`)
      expect.soft({ status: run?.status, exit: run?.exit_code, truncated: run?.truncated }, `${f.stream}: the agent wrote everything and exited 0`).toEqual({ status: 'succeeded', exit: 0, truncated: true })
      expect.soft(marker?.[1], `${f.stream}: the truncation marker's count`).toBe(String(expectedDropped))
      expect.soft(kept, `${f.stream}: output kept (bytes)`).toBeLessThanOrEqual(MAX_OUTPUT)
      expect.soft(disk.eventBytes, `${f.stream}: stored events (bytes)`).toBeLessThanOrEqual(RUN_LOG)
      expect.soft(disk.events, `${f.stream}: stored events`).toBeLessThanOrEqual(50_000)
      const during = latencies(f.from, f.to)
      const p99 = percentile(during, 99)
      console.log(`G-OUT-1 other runs during the ${f.stream} flood: ${during.length} clock lines, latency p50 ${percentile(during, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (goal ≤ ${(2 * p99Base).toFixed(2)}), max ${percentile(during, 100).toFixed(1)} ms`)
      expect.soft(during.length, `clock lines received during the ${f.stream} flood`).toBeGreaterThan(0)
      expect.soft(p99, `other runs' event latency p99 during the ${f.stream} flood (ms)`).toBeLessThanOrEqual(2 * p99Base)
    }

    console.log(`G-OUT-1 gateway RSS ${inMiB(rss.base)} → peak ${inMiB(rss.peak)} MiB, +${inMiB(rss.peak - rss.base)} MiB (goal ≤ 64), ` +
      `of which the gateway process ${inMiB(rss.gateway.base)} → ${inMiB(rss.gateway.peak)} MiB and its own child processes at most ${inMiB(rss.childrenPeak)} MiB; database files ${inMiB(dbFiles(gw.stateDir))} MiB`)
    expect.soft(rss.peak - rss.base, 'gateway RSS growth (bytes)').toBeLessThanOrEqual(64 * MIB)
    await expectBooksBalance(gw)
  // About 45 s when the goals are met; up to two agent timeouts when they are not.
  }, 150_000)
})
