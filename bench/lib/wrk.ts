// Load with wrk (lighter than autocannon, which matters when the generator shares 2 cores with the
// server): runs it with the generated Lua script and `--latency`, then parses what it prints.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LoadResult, LoadSpec } from './load-spec.ts'
import { runTool } from './run-tool.ts'
import type { ProcessSet } from './processes.ts'
import { wrkScript } from './wrk-script.ts'

export const WRK = '/usr/bin/wrk'

/** wrk's path when it is installed (Debian's package puts it in /usr/bin). */
export function findWrk (): string | null {
  return existsSync(WRK) ? WRK : null
}

/** One thread: on 2 shared cores a second generator thread only takes CPU from the server. */
const THREADS = 1

export async function runWrk (spec: LoadSpec, procs: ProcessSet, scratchDir: string): Promise<LoadResult> {
  const script = join(scratchDir, `load-${process.hrtime.bigint()}.lua`)
  writeFileSync(script, wrkScript(spec, THREADS))
  // wrk takes whole seconds only.
  const seconds = Math.max(1, Math.round(spec.durationS))
  const args = ['-t', String(THREADS), '-c', String(spec.connections), '-d', `${seconds}s`, '--timeout', '10s', '--latency', '-s', script, `${spec.origin}/`]
  // wrk stops itself after -d; the time limit is the hard bound should it hang.
  const out = await runTool(procs, WRK, args, { cwd: scratchDir, timeoutS: seconds + 30 })
  return parseWrk(out, spec.pool.length)
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

function duration (text: string | undefined): number {
  const match = /^([0-9.]+)(us|ms|s|m|h)$/.exec(text ?? '')
  if (match === null) return Number.NaN
  return Number(match[1]) * UNIT_MS[match[2]!]!
}

/** Parses wrk's report (with `--latency`) and the script's BENCH lines. */
export function parseWrk (out: string, poolSize: number): LoadResult {
  const field = (re: RegExp): string | undefined => re.exec(out)?.[1]
  const requests = Number(field(/^\s*(\d+) requests in /m))
  const durationS = duration(field(/ requests in ([0-9.]+(?:us|ms|s|m|h)),/m)) / 1000
  const check = /^BENCH good=(\d+) bad=(\d+) sent=(\d+)$/m.exec(out)
  if (Number.isNaN(requests) || check === null) throw new Error(`cannot read wrk's output:\n${out}`)
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const firstBad = field(/^BENCH_FIRST_BAD (.*)$/m)?.trim() ?? ''
  return {
    tool: 'wrk',
    requests,
    durationS,
    rps: Number(field(/^Requests\/sec:\s+([0-9.]+)/m)),
    p50Ms: duration(field(/^\s+50%\s+(\S+)/m)),
    p99Ms: duration(field(/^\s+99%\s+(\S+)/m)),
    maxMs: duration(/^\s+Latency\s+\S+\s+\S+\s+(\S+)/m.exec(out)?.[1]),
    good: Number(check[1]),
    bad: Number(check[2]),
    firstBad: firstBad === '' ? null : firstBad,
    repeats: Math.max(0, Number(check[3]) - poolSize),
    socketErrors: errors === null ? 0 : errors.slice(1).reduce((sum, n) => sum + Number(n), 0)
  }
}
