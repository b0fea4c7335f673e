// What each contender is sent on each path, and what a correct answer looks like.
import { CALLER } from './hookgate-config.ts'
import type { Expectation } from './load-spec.ts'
import type { ContenderName } from './servers.ts'

export interface Target {
  path: string
  expect: Expectation
}

/** A wrong hmac-sha256 signature: refused (401), except by the ceiling, which verifies nothing. */
export const REJECT_TARGETS: Partial<Record<ContenderName, Target>> = {
  hookgate: { path: `/v1/hooks/${CALLER.printf}`, expect: { status: 401 } },
  'bare-fastify': { path: '/hook', expect: { status: 200, bodyIncludes: '"ok":true' } },
  webhook: { path: '/hooks/reject', expect: { status: 401 } }
}

/** A valid signed request whose run is `printf ok`: answered once the command has exited. */
export const RUN_TARGETS: Partial<Record<ContenderName, Target>> = {
  hookgate: { path: `/v1/hooks/${CALLER.printf}`, expect: { status: 200, bodyIncludes: '"status":"succeeded"' } },
  'bare-node-spawn': { path: '/hook', expect: { status: 200, bodyIncludes: '"output":"ok"' } },
  'bare-fastify-spawn': { path: '/hook', expect: { status: 200, bodyIncludes: '"output":"ok"' } },
  webhook: { path: '/hooks/run', expect: { status: 200, bodyIncludes: 'ok' } }
}
