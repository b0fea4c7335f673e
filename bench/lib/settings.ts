// Command-line flags and everything they decide.
import { parseArgs } from 'node:util'
import type { LoadTool } from './load-spec.ts'

export const SECTION_IDS = ['reject', 'run', 'stream', 'flood', 'fanout', 'cpu'] as const
export type SectionId = typeof SECTION_IDS[number]

export interface Settings {
  rounds: number
  /** Seconds of load per contender per round (wrk rounds it to whole seconds). */
  durationS: number
  /** Seconds of load per contender before the first round, not measured. */
  warmupS: number
  /** Connections of the throughput loads. */
  connections: number
  sections: SectionId[]
  quick: boolean
  tool: LoadTool
  /** Profile hookgate under load instead of running the sections. */
  profile: 'run' | 'reject' | null
  out: string
  /** The hookgate entry point to start (another checkout, to compare versions). */
  hookgateBin: string | null
  stream: {
    lines: number
    intervalMs: number
    /** Runs streaming at once in the concurrent scenario. */
    concurrent: number
    /** Runs started per second in the loaded scenario. */
    startRate: number
  }
  flood: {
    /** Bad-signature requests per second, over `connections` connections. */
    rate: number
    connections: number
    /** Requests per second of the legitimate caller. */
    legitRate: number
  }
  fanout: { clients: number, events: number, lineBytes: number }
  cpu: { runs: number, warmupRuns: number, concurrency: number }
}

export const USAGE = `Usage: node bench/run.ts [options]   (npm run bench -- [options])

Benchmarks hookgate side by side with the alternatives; prints Markdown tables and writes
bench/results.json. See bench/README.md.

Options:
  --rounds N           rounds; the contenders are interleaved in each (default 3)
  --duration S         seconds of load per contender per round (default 5)
  --connections N      connections of the throughput loads (default 16)
  --only LIST          sections, comma-separated: ${SECTION_IDS.join(',')} (default all)
  --quick              smoke check: 1 round, short loads (about a minute)
  --tool NAME          load generator: wrk or autocannon (default wrk when installed)
  --profile [LOAD]     instead of the sections: profile hookgate (node --cpu-prof) under the
                       run (default) or reject load and print the top functions by self time
  --out FILE           results file (default bench/results.json)
  --hookgate-bin FILE  hookgate entry point to start (default bin/hookgate.js of this
                       checkout; point it at another checkout to compare versions)
  -h, --help           show this help
`

function positiveNumber (name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: expected a positive number, got ${text}`)
  return value
}

/** Settings from argv; null when help was asked for. `wrkFound` decides the default tool. */
export function parseSettings (argv: string[], wrkFound: boolean, defaultOut: string): Settings | null {
  // --profile takes an optional value, which parseArgs cannot express: a following word that names
  // a load is taken as its value.
  const args = [...argv]
  const at = args.indexOf('--profile')
  if (at !== -1) {
    const load = args[at + 1] === 'run' || args[at + 1] === 'reject' ? args.splice(at + 1, 1)[0] : 'run'
    args[at] = `--profile=${load}`
  }
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      tool: { type: 'string' },
      profile: { type: 'string' },
      out: { type: 'string' },
      'hookgate-bin': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help) return null
  if (positionals.length > 0) throw new Error(`unexpected argument: ${positionals[0]}`)
  const quick = values.quick
  const sections = values.only === undefined
    ? [...SECTION_IDS]
    : values.only.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const s of sections) {
    if (!(SECTION_IDS as readonly string[]).includes(s)) throw new Error(`--only: unknown section ${s} (known: ${SECTION_IDS.join(', ')})`)
  }
  const tool = values.tool ?? (wrkFound ? 'wrk' : 'autocannon')
  if (tool !== 'wrk' && tool !== 'autocannon') throw new Error(`--tool: wrk or autocannon, not ${tool}`)
  if (tool === 'wrk' && !wrkFound) throw new Error('--tool wrk: /usr/bin/wrk is not installed (apt-get install wrk)')
  const profile = values.profile
  if (profile !== undefined && profile !== 'run' && profile !== 'reject') throw new Error(`--profile: run or reject, not ${profile}`)
  const durationS = positiveNumber('duration', values.duration, quick ? 2 : 5)
  return {
    rounds: Math.round(positiveNumber('rounds', values.rounds, quick ? 1 : 3)),
    durationS,
    warmupS: quick ? 1 : Math.min(2, durationS),
    connections: Math.round(positiveNumber('connections', values.connections, 16)),
    sections: sections as SectionId[],
    quick,
    tool,
    profile: profile ?? null,
    out: values.out ?? defaultOut,
    hookgateBin: values['hookgate-bin'] ?? null,
    stream: { lines: Math.round(durationS * 50), intervalMs: 20, concurrent: 50, startRate: 20 },
    flood: { rate: 1000, connections: 50, legitRate: 20 },
    fanout: { clients: 1000, events: 2000, lineBytes: 190 },
    cpu: { runs: quick ? 200 : 1000, warmupRuns: 50, concurrency: 8 }
  }
}
