// The gateway config of the event-stream tests: chaosConfig's caller and limits, with
// test/fixtures/burst-agent.mjs as a Claude Code CLI (text deltas, a one-line answer), so every
// event is about the size of one printed line, the result included.
import { fileURLToPath } from 'node:url'
import { chaosConfig } from '../helpers/gateway-process.ts'
import { patchConfig } from './config-patch.ts'
import { MIB } from './proc-watch.ts'

export const BURST_AGENT = fileURLToPath(new URL('../fixtures/burst-agent.mjs', import.meta.url))

/** `limits` and `patch` are merged into the config (objects key by key). */
export function burstConfig (limits: Record<string, unknown> = {}, patch: Record<string, unknown> = {}): string {
  return patchConfig(chaosConfig({ timeout: 110 }), {
    agent: { profile: 'claude', command: BURST_AGENT, argv: [], max_output_bytes: 64 * MIB },
    limits,
    ...patch
  })
}

/** The prompt that makes the agent print `lines` lines of `bytes` characters; `gates` as in its header. */
export function burstPrompt (opts: { lines: number, bytes: number, rate?: number, gates?: Array<[number, string]> }): string {
  return [`lines=${opts.lines}`, `bytes=${opts.bytes}`, `rate=${opts.rate ?? 0}`, ...(opts.gates ?? []).map(([n, path]) => `gate=${n}:${path}`)].join(' ')
}
