// Summaries of samples and of rounds.

/** Nearest-rank percentile of `values` (p in 0…100); NaN when empty. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export function median (values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

// reduce rather than Math.max(...values): spreading a large sample overflows the call stack.
function largest (values: readonly number[]): number {
  return values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY)
}

function smallest (values: readonly number[]): number {
  return values.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY)
}

export interface Spread {
  median: number
  min: number
  max: number
}

/** The median of the rounds and their range. */
export function spread (values: readonly number[]): Spread {
  return { median: median(values), min: smallest(values), max: largest(values) }
}

export interface LatencySummary {
  samples: number
  p50: number
  p99: number
  max: number
}

export function latencySummary (values: readonly number[]): LatencySummary {
  return { samples: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max: values.length === 0 ? Number.NaN : largest(values) }
}
