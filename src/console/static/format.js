// How times, durations, money and statuses read in the console.

export const FINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted'])
export const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted']

export function statusLabel (status) {
  return String(status).replace('_', ' ')
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function age (iso, now = Date.now()) {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86400)} d ago`
}

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function duration (ms) {
  if (ms === null || ms === undefined) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

/** The run's duration, or for a run still going the time since it started. */
export function runDuration (run, now = Date.now()) {
  if (run.duration_ms !== null) return duration(run.duration_ms)
  if (run.started_at !== null && !FINAL.has(run.status)) return duration(now - Date.parse(run.started_at))
  return '—'
}

export function cost (usd) {
  if (usd === null || usd === undefined) return '—'
  return `$${usd < 1 ? usd.toFixed(4) : usd.toFixed(2)}`
}

export function clock (iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
}
