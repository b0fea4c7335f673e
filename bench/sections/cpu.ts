// 6. Cost per run and footprint: each contender is started fresh (time from spawn to ready), left
// idle for a second (resident memory), then given a fixed batch of `printf ok` runs; the CPU time
// its processes spent over the batch (utime + stime from /proc, the server and any non-agent
// descendant, never the agents) divided by the batch size is its own cost per run.
import { setTimeout as sleep } from 'node:timers/promises'
import { CALLER, secretOf } from '../lib/hookgate-config.ts'
import { clockTicksPerSecond, readRssMiB, type ProcStat } from '../lib/proc.ts'
import { signedRunPool } from '../lib/request-pool.ts'
import { rotate } from '../lib/rotation.ts'
import { runBatch, type BatchResult } from '../lib/run-many.ts'
import { serverProcesses } from '../lib/server-processes.ts'
import { serverOptions, type BenchContext, type SectionResult } from '../lib/section.ts'
import { startServer, type ContenderName } from '../lib/servers.ts'
import { spread } from '../lib/stats.ts'
import { num, ranged } from '../lib/table.ts'
import { RUN_TARGETS } from '../lib/targets.ts'

interface CpuRound {
  readyMs: number
  /** The server process alone, and with its non-agent descendants. */
  idleRssMiB: number
  idleRssTotalMiB: number
  /** With its non-agent descendants, right after the batch (processes started on demand are up by then). */
  busyRssTotalMiB: number
  cpuMsPerRun: number
  runsPerS: number
  /** Processes counted at the end of the batch (the server and its non-agent descendants). */
  processes: number
  batch: BatchResult
}

const IDLE_SETTLE_MS = 1000

function processes (pid: number): ProcStat[] {
  const found = serverProcesses(pid)
  if (found.length === 0) throw new Error(`process ${pid} is gone`)
  return found
}

const ticks = (stats: ProcStat[]): number => stats.reduce((sum, s) => sum + s.ticks, 0)
const rss = (stats: ProcStat[]): number => stats.reduce((sum, s) => sum + (readRssMiB(s.pid) ?? 0), 0)

export async function cpuSection (ctx: BenchContext): Promise<SectionResult> {
  const { runs, warmupRuns, concurrency } = ctx.settings.cpu
  const tck = clockTicksPerSecond()
  const contenders: ContenderName[] = ['hookgate', 'bare-node-spawn', 'bare-fastify-spawn', ...(ctx.webhook ? ['webhook' as const] : [])]
  const rounds = new Map<ContenderName, CpuRound[]>(contenders.map((c) => [c, []]))
  for (let round = 0; round < ctx.settings.rounds; round++) {
    for (const name of rotate(contenders, round)) {
      ctx.log(`cpu: round ${round + 1}/${ctx.settings.rounds}, ${name}`)
      const server = await startServer(name, ctx.procs, serverOptions(ctx))
      try {
        await sleep(IDLE_SETTLE_MS)
        const idle = processes(server.pid)
        const idleRssMiB = readRssMiB(server.pid) ?? Number.NaN
        const idleRssTotalMiB = rss(idle)
        const target = RUN_TARGETS[name]!
        await runBatch(server.url, signedRunPool(target.path, secretOf(CALLER.printf), warmupRuns), concurrency, target.expect)
        const before = processes(server.pid)
        const batch = await runBatch(server.url, signedRunPool(target.path, secretOf(CALLER.printf), runs), concurrency, target.expect)
        const after = processes(server.pid)
        rounds.get(name)!.push({
          readyMs: server.readyMs,
          idleRssMiB,
          idleRssTotalMiB,
          busyRssTotalMiB: rss(after),
          cpuMsPerRun: ((ticks(after) - ticks(before)) / tck) * 1000 / runs,
          runsPerS: runs / (batch.ms / 1000),
          processes: after.length,
          batch
        })
      } finally {
        await server.stop()
      }
    }
  }

  const rows = [...rounds].map(([name, r]) => [
    name,
    ranged(spread(r.map((x) => x.readyMs)), 0),
    ranged(spread(r.map((x) => x.idleRssMiB)), 1),
    ranged(spread(r.map((x) => x.idleRssTotalMiB)), 1),
    ranged(spread(r.map((x) => x.busyRssTotalMiB)), 1),
    ranged(spread(r.map((x) => x.cpuMsPerRun)), 2),
    ranged(spread(r.map((x) => x.runsPerS)), 0),
    String(Math.max(...r.map((x) => x.processes))),
    `${num(r.reduce((s, x) => s + x.batch.good, 0))}/${num(r.length * runs)}`
  ])
  const hookgate = rounds.get('hookgate')!
  const notes = [
    `CPU: utime + stime of the server process and of its descendants that are not agents (recognised by command line: printf, bench/fixtures/*), read from /proc before and after ${num(runs)} runs sent ${concurrency} at a time; clock tick ${1000 / tck} ms. Agents' own CPU is left out for every contender.`,
    `Ready: from spawn to the first answer (hookgate: GET /readyz 200; the others: any HTTP answer). Idle RSS: VmRSS ${IDLE_SETTLE_MS} ms after ready, of the server process, and summed with its non-agent descendants (shared pages counted in each, so an upper bound).`
  ]
  const bad = [...rounds].filter(([, r]) => r.some((x) => x.batch.bad > 0))
  for (const [name, r] of bad) notes.push(`${name}: ${r.reduce((s, x) => s + x.batch.bad, 0)} runs were not answered as expected (first: ${r.find((x) => x.batch.firstBad !== null)?.batch.firstBad})`)
  return {
    id: 'cpu',
    title: '6. CPU per run, idle memory, start time',
    measuredBy: `/proc of each server process (clock tick ${1000 / tck} ms); bench client (node:http) for the runs`,
    table: { columns: ['contender', 'ready ms', 'idle RSS MiB', 'idle RSS, all server processes, MiB', 'RSS after runs, all server processes, MiB', 'CPU ms per run (excl. agent)', 'runs/s', 'processes counted', 'runs as expected'], rows },
    goals: [{ label: 'hookgate idle RSS (all its processes)', value: spread(hookgate.map((x) => x.idleRssTotalMiB)).median, target: 80, unit: ' MiB', atLeast: false }],
    notes,
    data: { runs, warmupRuns, concurrency, clockTicksPerSecond: tck, contenders: Object.fromEntries(rounds) }
  }
}
