// 3. Stream latency: the clock agent writes lines holding the moment they were written; each arrives
// as a `text` event on the request's own event stream (Accept: text/event-stream), and the client
// subtracts. Measured for one run, for many runs streaming at once, and for one run while runs keep
// starting around it (the cost of starting agents must not stall the streams already running).
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { CALLER, secretOf } from '../lib/hookgate-config.ts'
import { pacedCalls } from '../lib/paced-calls.ts'
import { serverOptions, type BenchContext, type SectionResult } from '../lib/section.ts'
import { startServer, type Server } from '../lib/servers.ts'
import { signedHeaders } from '../lib/sign.ts'
import { openSse, wallClock } from '../lib/sse-client.ts'
import { latencySummary, spread, type LatencySummary } from '../lib/stats.ts'
import { num, ranged } from '../lib/table.ts'

interface ClockRun {
  latencies: number[]
  expected: number
  status: string | null
  error: string | null
}

/** An event's JSON data; empty when it is not an object (counted as a missing line, not a crash). */
function parseData (data: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(data)
    return typeof parsed === 'object' && parsed !== null ? parsed as Record<string, unknown> : {}
  } catch {
    return {}
  }
}

/** One clock run followed on its own request's stream: LINES lines every INTERVAL ms from START. */
async function clockRun (server: Server, lines: number, intervalMs: number, startAt: number): Promise<ClockRun> {
  const tag = randomBytes(6).toString('hex')
  const body = JSON.stringify({ text: `clock ${lines} ${intervalMs} ${Math.round(startAt)}`, id: `clock-${tag}` })
  const out: ClockRun = { latencies: [], expected: lines, status: null, error: null }
  const stream = openSse(`${server.url}/v1/hooks/${CALLER.clock}`, {
    method: 'POST',
    headers: signedHeaders(secretOf(CALLER.clock), body),
    body,
    onFrame: (frame, receivedAt) => {
      const data = parseData(frame.data)
      if (frame.event === 'result') {
        out.status = typeof data.status === 'string' ? data.status : 'unreadable'
        return
      }
      if (frame.event !== 'text' && frame.event !== 'log') return
      // An event may carry more than one line should the gateway ever merge them.
      const text = typeof data.text === 'string' ? data.text : typeof data.line === 'string' ? data.line : ''
      for (const line of text.split('\n')) {
        const written = Number.parseFloat(line)
        if (line !== '' && Number.isFinite(written)) out.latencies.push(receivedAt - written)
      }
    }
  })
  const status = await stream.status
  const { error } = await stream.done
  out.error = status !== 200 ? `status ${status}: ${error ?? ''}` : error
  return out
}

interface Scenario {
  name: string
  runs: ClockRun[]
  summary: LatencySummary
}

function scenario (name: string, runs: ClockRun[]): Scenario {
  return { name, runs, summary: latencySummary(runs.flatMap((r) => r.latencies)) }
}

export async function streamSection (ctx: BenchContext): Promise<SectionResult> {
  const { lines, intervalMs, concurrent, startRate } = ctx.settings.stream
  const rounds: Scenario[][] = []
  const background: Array<{ sent: number, answered: number, failed: number }> = []
  const server = await startServer('hookgate', ctx.procs, serverOptions(ctx))
  try {
    ctx.log('stream: warming up')
    await clockRun(server, 10, 10, 0)
    for (let round = 0; round < ctx.settings.rounds; round++) {
      ctx.log(`stream: round ${round + 1}/${ctx.settings.rounds}, 1 run`)
      const single = scenario('1 run', [await clockRun(server, lines, intervalMs, 0)])
      ctx.log(`stream: round ${round + 1}/${ctx.settings.rounds}, ${concurrent} runs`)
      // Every run starts its lines at the same moment, once all the agents have had time to start.
      const startAt = wallClock() + 2000
      const many = scenario(`${concurrent} concurrent runs`, await Promise.all(Array.from({ length: concurrent }, () => clockRun(server, lines, intervalMs, startAt))))
      ctx.log(`stream: round ${round + 1}/${ctx.settings.rounds}, 1 run while ${startRate} runs/s start`)
      const followed = clockRun(server, lines, intervalMs, 0)
      const starts = await pacedCalls(server.url, startRate, followed, lines * intervalMs / 1000 + 10)
      background.push({ sent: starts.sent, answered: starts.latencies.length, failed: starts.failed })
      const loaded = scenario(`1 run while ${startRate} runs/s start`, [await followed])
      rounds.push([single, many, loaded])
      await sleep(200)
    }
  } finally {
    await server.stop()
  }

  const names = rounds[0]!.map((s) => s.name)
  const column = (i: number, pick: (s: LatencySummary) => number) => spread(rounds.map((r) => pick(r[i]!.summary)))
  const rows = names.map((name, i) => {
    const received = rounds.reduce((sum, r) => sum + r[i]!.runs.reduce((s, run) => s + run.latencies.length, 0), 0)
    const expected = rounds.reduce((sum, r) => sum + r[i]!.runs.reduce((s, run) => s + run.expected, 0), 0)
    return [name, `${num(received)}/${num(expected)}`, ranged(column(i, (s) => s.p50), 2), ranged(column(i, (s) => s.p99), 2), ranged(column(i, (s) => s.max), 2)]
  })
  const added = spread(rounds.map((r) => r[2]!.summary.p99 - r[0]!.summary.p99))
  const notes: string[] = []
  const failures = rounds.flat().flatMap((s) => s.runs).filter((r) => r.error !== null || r.status !== 'succeeded')
  if (failures.length > 0) notes.push(`${failures.length} clock runs did not end as succeeded (first: ${failures[0]!.error ?? failures[0]!.status})`)
  const bg = background.reduce((a, b) => ({ sent: a.sent + b.sent, answered: a.answered + b.answered, failed: a.failed + b.failed }), { sent: 0, answered: 0, failed: 0 })
  notes.push(`Background runs started while loaded: ${num(bg.sent)} sent, ${num(bg.answered)} succeeded, ${num(bg.failed)} failed.`)
  notes.push(`Each run: ${lines} lines, one every ${intervalMs} ms; latency = client receive time − agent write time (same machine clock).`)
  return {
    id: 'stream',
    title: '3. Stream latency: agent writes a line → SSE client receives it',
    measuredBy: 'bench SSE client (node:http) on the webhook request itself (Accept: text/event-stream)',
    table: { columns: ['scenario', 'lines received', 'p50 ms', 'p99 ms', 'max ms'], rows: [...rows, ['added p99 under starts', '', '', `${ranged(added, 2)}`, '']] },
    goals: [{ label: `added p99 latency while ${startRate} runs/s start`, value: added.median, target: 2, unit: ' ms', atLeast: false }],
    notes,
    data: {
      lines,
      intervalMs,
      rounds: rounds.map((r) => Object.fromEntries(r.map((s) => [s.name, s.summary]))),
      addedP99Ms: added,
      background
    }
  }
}
