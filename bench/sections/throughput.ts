// The shape shared by the reject and run sections: several contenders, each loaded in turn by the
// same generator with the same requests, interleaved over the rounds (the order rotates every round)
// so that machine noise lands on all of them alike; ratios are taken per round, then their median.
import type { LoadResult } from '../lib/load-spec.ts'
import { runLoad } from '../lib/load.ts'
import type { PlannedRequest } from '../lib/request-pool.ts'
import { rotate } from '../lib/rotation.ts'
import { serverOptions, type BenchContext, type Goal, type SectionResult } from '../lib/section.ts'
import { startServer, type ContenderName, type Server } from '../lib/servers.ts'
import { spread, type Spread } from '../lib/stats.ts'
import { num, ranged } from '../lib/table.ts'
import type { Target } from '../lib/targets.ts'

export interface Ratio {
  versus: ContenderName
  /** hookgate / versus must reach this; informational when absent. */
  goal?: number
}

export interface ThroughputPlan {
  id: 'reject' | 'run'
  title: string
  /** "req/s" or "runs/s". */
  unit: string
  contenders: ContenderName[]
  targets: Partial<Record<ContenderName, Target>>
  /** The requests of one load (built just before it, so timestamps are fresh). */
  pool: (target: Target) => PlannedRequest[]
  ratios: Ratio[]
  notes: string[]
}

interface ContenderFigures {
  rounds: LoadResult[]
  rps: Spread
  p50Ms: Spread
  p99Ms: Spread
}

export async function throughputSection (ctx: BenchContext, plan: ThroughputPlan): Promise<SectionResult> {
  const { settings } = ctx
  const servers: Server[] = []
  const rounds = new Map<ContenderName, LoadResult[]>(plan.contenders.map((c) => [c, []]))
  try {
    for (const name of plan.contenders) servers.push(await startServer(name, ctx.procs, serverOptions(ctx)))
    const load = async (server: Server, durationS: number): Promise<LoadResult> => {
      const target = plan.targets[server.name]!
      return await runLoad(ctx, {
        origin: server.url,
        pool: plan.pool(target),
        connections: settings.connections,
        durationS,
        expect: target.expect
      })
    }
    for (const server of servers) {
      ctx.log(`${plan.id}: warming up ${server.name}`)
      await load(server, settings.warmupS)
    }
    for (let round = 0; round < settings.rounds; round++) {
      for (const server of rotate(servers, round)) {
        ctx.log(`${plan.id}: round ${round + 1}/${settings.rounds}, ${server.name}`)
        rounds.get(server.name)!.push(await load(server, settings.durationS))
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }

  const figures = new Map<ContenderName, ContenderFigures>()
  for (const [name, results] of rounds) {
    figures.set(name, {
      rounds: results,
      rps: spread(results.map((r) => r.rps)),
      p50Ms: spread(results.map((r) => r.p50Ms)),
      p99Ms: spread(results.map((r) => r.p99Ms))
    })
  }
  const hookgate = rounds.get('hookgate')!
  const ratios = plan.ratios.filter((r) => rounds.has(r.versus)).map((r) => {
    const other = rounds.get(r.versus)!
    return { ...r, perRound: hookgate.map((h, i) => h.rps / other[i]!.rps) }
  })

  const rows = [...figures].map(([name, f]) => {
    const good = f.rounds.reduce((s, r) => s + r.good, 0)
    const total = f.rounds.reduce((s, r) => s + r.good + r.bad, 0)
    return [name, ranged(f.rps), ranged(f.p50Ms, 2), ranged(f.p99Ms, 2), `${num(good)}/${num(total)}`, f.rounds[0]?.tool ?? ctx.tool]
  })
  const ratioRows = ratios.map((r) => [`hookgate / ${r.versus}`, ranged(spread(r.perRound), 2, '×'), '', '', '', ''])

  const goals: Goal[] = ratios.filter((r) => r.goal !== undefined).map((r) => ({
    label: `${plan.unit} hookgate / ${r.versus}`,
    value: spread(r.perRound).median,
    target: r.goal!,
    unit: '×',
    atLeast: true
  }))

  const notes = [...plan.notes]
  for (const [name, f] of figures) {
    const bad = f.rounds.reduce((s, r) => s + r.bad, 0)
    const firstBad = f.rounds.find((r) => r.firstBad !== null)?.firstBad
    if (bad > 0) notes.push(`${name}: ${num(bad)} answers were not the expected ${plan.targets[name]!.expect.status} (first: ${firstBad})`)
    const errors = f.rounds.reduce((s, r) => s + r.socketErrors, 0)
    if (errors > 0) notes.push(`${name}: ${num(errors)} socket errors (connect, read, write or timeout)`)
    const repeats = f.rounds.reduce((s, r) => s + r.repeats, 0)
    if (plan.id === 'run' && repeats > 0) notes.push(`${name}: the request pool ran out; ${num(repeats)} requests repeated earlier ones (hookgate answers those as replays)`)
  }

  return {
    id: plan.id,
    title: plan.title,
    measuredBy: `${ctx.tool} (${settings.connections} connections, ${settings.durationS} s per contender per round)`,
    table: { columns: ['contender', plan.unit, 'p50 ms', 'p99 ms', 'answers as expected', 'tool'], rows: [...rows, ...ratioRows] },
    goals,
    notes,
    data: {
      unit: plan.unit,
      connections: settings.connections,
      durationS: settings.durationS,
      contenders: Object.fromEntries(figures),
      ratios: ratios.map((r) => ({ versus: r.versus, goal: r.goal ?? null, perRound: r.perRound, median: spread(r.perRound).median }))
    }
  }
}
