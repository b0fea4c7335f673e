// 1. Reject path: a wrong hmac-sha256 signature with a 1 KiB JSON body, as fast as the generator
// goes. The bare Fastify route is the ceiling (it receives and parses the same request and verifies
// nothing); hookgate should stay within 10 % of it.
import { badSignaturePool } from '../lib/request-pool.ts'
import type { BenchContext, SectionResult } from '../lib/section.ts'
import type { ContenderName } from '../lib/servers.ts'
import { REJECT_TARGETS } from '../lib/targets.ts'
import { throughputSection } from './throughput.ts'

export async function rejectSection (ctx: BenchContext): Promise<SectionResult> {
  const contenders: ContenderName[] = ['hookgate', 'bare-fastify', ...(ctx.webhook ? ['webhook' as const] : [])]
  return await throughputSection(ctx, {
    id: 'reject',
    title: '1. Reject path: wrong signature, 1 KiB body',
    unit: 'req/s',
    contenders,
    targets: REJECT_TARGETS,
    pool: (target) => badSignaturePool(target.path),
    ratios: [{ versus: 'bare-fastify', goal: 0.9 }, { versus: 'webhook' }],
    notes: [
      'hookgate and webhook answer 401; bare-fastify answers 200 {"ok":true} (it verifies nothing).',
      'webhook: payload-hmac-sha256 rule with trigger-rule-mismatch-http-response-code 401 (its default is 200).'
    ]
  })
}
