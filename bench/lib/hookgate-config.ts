// The configuration hookgate is benchmarked with: the defaults (sqlite store, audit log, info-level
// logging) except for the admission limits, which are raised so that they never cap a measurement,
// and the agents, which are the bench's trivial commands.
import { fileURLToPath } from 'node:url'

/** Callers by what their agent does. */
export const CALLER = {
  /** `printf ok` */
  printf: 'bench',
  /** bench/fixtures/clock-agent.mjs */
  clock: 'clock',
  /** bench/fixtures/fanout-agent.mjs, as the claude profile's CLI */
  fanout: 'fanout'
} as const

export type CallerId = typeof CALLER[keyof typeof CALLER]

/** Each caller's signing secret (hookgate refuses a secret shared by two callers). */
export function secretOf (caller: CallerId): string {
  return `bench-secret-${caller}-0123456789abcdef`
}

const CLOCK_AGENT = fileURLToPath(new URL('../fixtures/clock-agent.mjs', import.meta.url))
const FANOUT_AGENT = fileURLToPath(new URL('../fixtures/fanout-agent.mjs', import.meta.url))

/** The raised limits (recorded in results.json). */
export const RAISED_LIMITS = {
  concurrency: 256,
  queue: 4096,
  per_address: { max: 1_000_000_000, window: 60 },
  sse_clients_per_run: 2000
} as const

export function hookgateYaml (stateDir: string): string {
  const caller = (id: CallerId, agent = ''): string => `
  ${id}:
    scheme: hmac-sha256
    secrets: [${JSON.stringify(secretOf(id))}]
    commands: [run]
    default_command: run${agent}`
  const argv = (script: string): string => `
    agent:
      argv: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}, "{prompt}"]`
  // Speaks Claude Code's stream-json, so each of its lines is one text event (a plain program's lines
  // that arrive together share one).
  const claudeCli = (script: string): string => `
    agent:
      profile: claude
      command: ${JSON.stringify(script)}
      argv: []`
  const { concurrency, queue, per_address: perAddress, sse_clients_per_run: sseClients } = RAISED_LIMITS
  // printf does not read stdin; without a "{prompt}" element the prompt goes there, which keeps the
  // agent's command line exactly `printf ok` (hookgate warns about it once at start).
  return `state_dir: ${JSON.stringify(stateDir)}
store: sqlite
agent:
  profile: command
  argv: [printf, ok]
limits:
  concurrency: ${concurrency}
  queue: ${queue}
  per_address: { max: ${perAddress.max}, window: ${perAddress.window} }
  sse_clients_per_run: ${sseClients}
commands:
  run: { prompt: "{args}" }
callers:${caller(CALLER.printf)}${caller(CALLER.clock, argv(CLOCK_AGENT))}${caller(CALLER.fanout, claudeCli(FANOUT_AGENT))}
`
}
