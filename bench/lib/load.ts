// Runs a load with the chosen generator.
import { runAutocannon } from './autocannon.ts'
import type { LoadResult, LoadSpec } from './load-spec.ts'
import type { BenchContext } from './section.ts'
import { runWrk } from './wrk.ts'

export async function runLoad (ctx: Pick<BenchContext, 'tool' | 'procs' | 'scratch'>, spec: LoadSpec): Promise<LoadResult> {
  return ctx.tool === 'wrk' ? await runWrk(spec, ctx.procs, ctx.scratch) : await runAutocannon(spec, ctx.procs, ctx.scratch)
}
