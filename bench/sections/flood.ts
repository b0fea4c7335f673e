// 4. A legitimate caller under a flood of bad signatures: its latency alone, then while the
// generator sends wrong signatures at a fixed rate (G-SIG-1's 1,000 req/s over 50 connections).
// Refusing forgeries must stay cheap enough that real callers barely notice.
import { setTimeout as sleep } from 'node:timers/promises'
import type { LoadResult } from '../lib/load-spec.ts'
import { runLoad } from '../lib/load.ts'
import { pacedCalls, type PacedResult } from '../lib/paced-calls.ts'
import { badSignaturePool } from '../lib/request-pool.ts'
import { serverOptions, type BenchContext, type SectionResult } from '../lib/section.ts'
import { startServer } from '../lib/servers.ts'
import { latencySummary, spread } from '../lib/stats.ts'
import { num, ranged } from '../lib/table.ts'
import { REJECT_TARGETS } from '../lib/targets.ts'

interface FloodRound {
  alone: PacedResult
  flooded: PacedResult
  flood: LoadResult
}

export async function floodSection (ctx: BenchContext): Promise<SectionResult> {
  const { durationS } = ctx.settings
  const { rate, connections, legitRate } = ctx.settings.flood
  const target = REJECT_TARGETS.hookgate!
  const rounds: FloodRound[] = []
  const server = await startServer('hookgate', ctx.procs, serverOptions(ctx))
  try {
    ctx.log('flood: warming up')
    await pacedCalls(server.url, legitRate, sleep(ctx.settings.warmupS * 1000), ctx.settings.warmupS)
    for (let round = 0; round < ctx.settings.rounds; round++) {
      ctx.log(`flood: round ${round + 1}/${ctx.settings.rounds}, legitimate caller alone`)
      const alone = await pacedCalls(server.url, legitRate, sleep(durationS * 1000), durationS)
      ctx.log(`flood: round ${round + 1}/${ctx.settings.rounds}, legitimate caller under ${rate} bad req/s`)
      // The flood runs a little longer than the caller, so the caller is measured under it throughout.
      const flood = runLoad(ctx, { origin: server.url, pool: badSignaturePool(target.path), connections, durationS: durationS + 1.5, rate, expect: target.expect })
      await sleep(500)
      const flooded = await pacedCalls(server.url, legitRate, sleep(durationS * 1000), durationS)
      rounds.push({ alone, flooded, flood: await flood })
    }
  } finally {
    await server.stop()
  }

  const alone = rounds.map((r) => latencySummary(r.alone.latencies))
  const flooded = rounds.map((r) => latencySummary(r.flooded.latencies))
  const ratio = spread(rounds.map((_, i) => flooded[i]!.p99 / alone[i]!.p99))
  const row = (name: string, s: typeof alone, results: PacedResult[]) => [
    name,
    num(legitRate),
    `${num(results.reduce((a, r) => a + r.latencies.length, 0))}/${num(results.reduce((a, r) => a + r.sent, 0))}`,
    ranged(spread(s.map((x) => x.p50)), 2),
    ranged(spread(s.map((x) => x.p99)), 2),
    ranged(spread(s.map((x) => x.max)), 2)
  ]
  const floods = rounds.map((r) => r.flood)
  const rows = [
    row('legitimate caller alone', alone, rounds.map((r) => r.alone)),
    row('legitimate caller under flood', flooded, rounds.map((r) => r.flooded)),
    ['bad-signature flood', ranged(spread(floods.map((f) => f.rps))), `${num(floods.reduce((a, f) => a + f.good, 0))}/${num(floods.reduce((a, f) => a + f.good + f.bad, 0))} refused`, ranged(spread(floods.map((f) => f.p50Ms)), 2), ranged(spread(floods.map((f) => f.p99Ms)), 2), ranged(spread(floods.map((f) => f.maxMs)), 2)]
  ]
  const notes = [
    `The legitimate caller sends ${legitRate} signed \`printf ok\` runs per second (open loop, keep-alive) for ${durationS} s; the flood is ${connections} connections paced to about ${rate} req/s by ${ctx.tool}, wrong signatures and 1 KiB bodies.`,
    'per_address is raised, so the flood is refused by signature, not by the address limit: this measures the cost of verifying.'
  ]
  const failed = rounds.reduce((a, r) => a + r.alone.failed + r.flooded.failed, 0)
  const firstFailure = rounds.flatMap((r) => [r.alone.firstFailure, r.flooded.firstFailure]).find((f) => f !== null)
  if (failed > 0) notes.push(`${failed} legitimate calls failed (first: ${firstFailure})`)
  return {
    id: 'flood',
    title: '4. Legitimate caller under a bad-signature flood',
    measuredBy: `bench client (node:http) for the caller; ${ctx.tool} for the flood`,
    table: { columns: ['traffic', 'req/s', 'answered as expected', 'p50 ms', 'p99 ms', 'max ms'], rows: [...rows, ['p99 under flood / alone', '', '', '', ranged(ratio, 2, '×'), '']] },
    goals: [{ label: 'legitimate p99 under flood / alone', value: ratio.median, target: 2, unit: '×', atLeast: false }],
    notes,
    data: {
      legitRate,
      flood: { rate, connections },
      rounds: rounds.map((r, i) => ({ alone: alone[i], flooded: flooded[i], flood: r.flood, failed: r.alone.failed + r.flooded.failed })),
      ratio
    }
  }
}
