// Load generation for the goal-figure tests: autocannon floods with per-request headers, and the
// percentile math their figures use. Latencies are collected per response (not from autocannon's
// histogram), so a figure is computed from every request and not from buckets.
import autocannon from 'autocannon'

export interface FloodOptions {
  url: string
  connections: number
  amount: number
  /** Requests per second over all connections. */
  rate: number
  body: Buffer | string
  /** Headers every request carries. */
  headers: Record<string, string>
  /** Headers made fresh for each request (signatures, timestamps); they win over `headers`. */
  perRequest?: () => Record<string, string>
  onResponse?: (status: number, body: string, headers: Record<string, string>) => void
  timeoutS?: number
}

export interface FloodResult {
  /** Responses by status code. */
  statuses: Record<string, number>
  /** Milliseconds from sending each request to its complete response. */
  latencies: number[]
  errors: number
  timeouts: number
  ms: number
}

/**
 * `amount` requests at `rate` per second over `connections` keep-alive connections. autocannon paces
 * each connection per second: it sends its share back to back at the start of every second, so the
 * gateway sees bursts of `connections` requests at once and latency includes queueing behind them
 * (harsher than evenly spaced arrivals at the same rate).
 */
export async function flood (opts: FloodOptions): Promise<FloodResult> {
  const latencies: number[] = []
  const started = performance.now()
  const instance = autocannon({
    url: opts.url,
    method: 'POST',
    connections: opts.connections,
    amount: opts.amount,
    overallRate: opts.rate,
    timeout: opts.timeoutS ?? 30,
    requests: [{
      method: 'POST',
      body: opts.body,
      headers: opts.headers,
      setupRequest: (request) => ({ ...request, headers: { ...opts.headers, ...opts.perRequest?.() } }),
      ...(opts.onResponse !== undefined ? { onResponse: (status: number, body: string, _context: unknown, headers: Record<string, string>) => opts.onResponse!(status, body, headers) } : {})
    }]
  })
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => { latencies.push(ms) })
  const result = await instance
  const statuses: Record<string, number> = {}
  for (const [status, { count }] of Object.entries(result.statusCodeStats)) statuses[status] = count
  return { statuses, latencies, errors: result.errors, timeouts: result.timeouts, ms: performance.now() - started }
}

/** Nearest-rank percentile (p in 0..100) of `values`; NaN for none. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[Math.min(rank, sorted.length) - 1]!
}
