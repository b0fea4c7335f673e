// 2. Run path: valid signed requests, each with its own body, whose agent is `printf ok`, answered
// synchronously once the run has finished. The bare servers spawn the same command per request with
// nothing else around it; hookgate, which also verifies, stores, audits and streams each run, aims
// at twice the Fastify one (by keeping spawning off its event loop) and at least webhook's rate.
import { CALLER, secretOf } from '../lib/hookgate-config.ts'
import { runPoolSize, signedRunPool } from '../lib/request-pool.ts'
import type { BenchContext, SectionResult } from '../lib/section.ts'
import type { ContenderName } from '../lib/servers.ts'
import { RUN_TARGETS } from '../lib/targets.ts'
import { throughputSection } from './throughput.ts'

export async function runSection (ctx: BenchContext): Promise<SectionResult> {
  const contenders: ContenderName[] = ['hookgate', 'bare-node-spawn', 'bare-fastify-spawn', ...(ctx.webhook ? ['webhook' as const] : [])]
  const size = runPoolSize(Math.max(ctx.settings.durationS, ctx.settings.warmupS))
  return await throughputSection(ctx, {
    id: 'run',
    title: '2. Run path: signed request → `printf ok` → answer',
    unit: 'runs/s',
    contenders,
    targets: RUN_TARGETS,
    pool: (target) => signedRunPool(target.path, secretOf(CALLER.printf), size),
    ratios: [{ versus: 'bare-fastify-spawn', goal: 2 }, { versus: 'webhook', goal: 1 }, { versus: 'bare-node-spawn' }],
    notes: [
      'hookgate answers 200 with the finished run object (default synchronous mode); every request has its own text and id, so none is a replay.',
      'webhook: include-command-output-in-response: true, so it too answers after the command exits.'
    ]
  })
}
