// How many of a set of time intervals overlap at once, at most: the exact peak of "runs running" or
// "runs queued" from each run's own timestamps, where polling a gauge could miss a short peak.

/** [start, end) pairs in ms; an interval that ends exactly when another starts does not overlap it. */
export function maxOverlap (intervals: ReadonlyArray<readonly [number, number]>): { most: number, at: number | null } {
  const edges: Array<[number, number]> = []
  for (const [start, end] of intervals) {
    if (end <= start) continue
    edges.push([start, 1], [end, -1])
  }
  // Ends before starts at the same instant.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let now = 0
  let most = 0
  let at: number | null = null
  for (const [t, delta] of edges) {
    now += delta
    if (now > most) { most = now; at = t }
  }
  return { most, at }
}
