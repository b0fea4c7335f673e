// Reads the gateway's GET /metrics (Prometheus text) the way a scraper would: a gauge's value and a
// histogram's buckets, from the outside, with no access to the process.

export async function scrape (url: string, token?: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000)
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`)
  return text
}

/** The value of an unlabelled sample `name` (NaN when absent). */
export function sampleValue (text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  return m === null ? NaN : Number(m[1])
}

export interface Histogram {
  /** Cumulative counts by upper bound, `+Inf` last. */
  buckets: Array<{ le: number, count: number }>
  count: number
  sum: number
}

export function histogram (text: string, name: string): Histogram {
  const buckets: Array<{ le: number, count: number }> = []
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))) {
    buckets.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) })
  }
  return { buckets, count: sampleValue(text, `${name}_count`), sum: sampleValue(text, `${name}_sum`) }
}

/** What was observed between two scrapes of the same histogram. */
export function histogramDelta (before: Histogram, after: Histogram): Histogram {
  return {
    buckets: after.buckets.map((b, i) => ({ le: b.le, count: b.count - (before.buckets[i]?.count ?? 0) })),
    count: after.count - before.count,
    sum: after.sum - before.sum
  }
}

/** The smallest bucket bound at or below which at least `q` of the observations fall. */
export function quantileBound (h: Histogram, q: number): number {
  for (const b of h.buckets) if (b.count >= q * h.count) return b.le
  return Infinity
}

/** The share of observations at or below `le` (which must be a bucket bound). */
export function shareAtOrBelow (h: Histogram, le: number): number {
  const bucket = h.buckets.find((b) => b.le === le)
  return bucket === undefined || h.count === 0 ? NaN : bucket.count / h.count
}
