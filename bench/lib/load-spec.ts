// What a load generator is asked to do and what it reports, whichever tool runs it.
import type { PlannedRequest } from './request-pool.ts'

export type LoadTool = 'wrk' | 'autocannon'

export interface Expectation {
  status: number
  /** A substring every good answer's body contains. */
  bodyIncludes?: string
}

export interface LoadSpec {
  /** `http://127.0.0.1:port` */
  origin: string
  /** Cycled through in order; a pool shorter than the requests sent is reused from the start. */
  pool: PlannedRequest[]
  connections: number
  durationS: number
  expect: Expectation
  /** Requests per second across all connections; as fast as possible when absent. */
  rate?: number
}

export interface LoadResult {
  tool: LoadTool
  /** Answers received. */
  requests: number
  durationS: number
  /** Answers per second. */
  rps: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Answers matching the expectation, and the others. */
  good: number
  bad: number
  /** The first answer that did not match: status and the start of its body. */
  firstBad: string | null
  /** Requests sent beyond the pool's length (repeats of earlier ones). */
  repeats: number
  /** Connect, read, write and timeout errors. */
  socketErrors: number
}
