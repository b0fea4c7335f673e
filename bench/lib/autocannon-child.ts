// Runs one autocannon load in its own process, so the generator never shares an event loop with
// the bench's own measurements. Reads a LoadSpec (JSON file named by argv[2]), prints a LoadResult
// as one JSON line.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { LoadResult, LoadSpec } from './load-spec.ts'

interface Histogram { p50: number, p99: number, max: number }
interface AutocannonResult { duration: number, latency: Histogram, requests: { total: number }, errors: number, timeouts: number }
interface RawRequest { method?: string, path?: string, headers?: Record<string, string>, body?: string }
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>

// autocannon ships no type declarations; this is the slice of its API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

async function main (specFile: string): Promise<LoadResult> {
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as LoadSpec
  let next = 0
  let sent = 0
  let good = 0
  let bad = 0
  let firstBad: string | null = null

  const result = await autocannon({
    url: spec.origin,
    connections: spec.connections,
    duration: spec.durationS,
    timeout: 10,
    ...(spec.rate !== undefined ? { overallRate: spec.rate } : {}),
    requests: [{
      setupRequest: (req: RawRequest): RawRequest => {
        const planned = spec.pool[next]!
        next = (next + 1) % spec.pool.length
        sent++
        return { ...req, method: planned.method, path: planned.path, headers: planned.headers, body: planned.body }
      },
      onResponse: (status: number, body: string): void => {
        if (status === spec.expect.status && (spec.expect.bodyIncludes === undefined || body.includes(spec.expect.bodyIncludes))) {
          good++
        } else {
          bad++
          firstBad ??= `${status} ${body.slice(0, 160)}`.replace(/[\r\n]/g, ' ')
        }
      }
    }]
  })

  return {
    tool: 'autocannon',
    requests: result.requests.total,
    durationS: result.duration,
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    good,
    bad,
    firstBad,
    repeats: Math.max(0, sent - spec.pool.length),
    socketErrors: result.errors
  }
}

process.stdout.write(`${JSON.stringify(await main(process.argv[2]!))}\n`)
