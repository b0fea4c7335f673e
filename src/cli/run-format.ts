// How a run reads on the terminal: the final status line, durations, and how to cancel.
import { FINAL_STATUSES, type Run } from '../schemas/run.ts'
import type { Notice } from '../schemas/http.ts'
import { oneLine, type Style } from './style.ts'

export function isRun (value: unknown): value is Run {
  return typeof value === 'object' && value !== null && typeof (value as Run).id === 'string' && typeof (value as Run).status === 'string'
}

export function isNotice (value: unknown): value is Notice {
  return typeof value === 'object' && value !== null && typeof (value as Notice).kind === 'string' && typeof (value as Notice).message === 'string'
}

export function isFinal (run: Run): boolean {
  return FINAL_STATUSES.has(run.status)
}

export function formatDuration (ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  return `${minutes}m${String(seconds).padStart(2, '0')}s`
}

const WORDS: Record<string, string> = { timed_out: 'timed out' }

/** `✓ succeeded in 1.2s (run_…)` or `✗ failed: <error> (3.4s, run_…)`, with the demo agent called out. */
export function statusLine (run: Run, style: Style): string {
  const duration = run.duration_ms === null ? null : formatDuration(run.duration_ms)
  const notes = [
    ...(run.truncated ? ['output truncated'] : []),
    ...(run.demo === true ? ['DEMO agent: configure a real one for real answers'] : [])
  ]
  const tail = notes.length > 0 ? ` [${notes.join('; ')}]` : ''
  if (run.status === 'succeeded') {
    return `${style.green('✓')} succeeded${duration === null ? '' : ` in ${duration}`} (${run.id})${tail}`
  }
  const word = WORDS[run.status] ?? run.status
  const error = run.error === null || run.error === '' ? '' : `: ${oneLine(run.error)}`
  return `${style.red('✗')} ${word}${error} (${duration === null ? '' : `${duration}, `}${run.id})${tail}`
}

/** The command that cancels a run, for when we stop following it but it keeps going on the gateway. */
export function cancelHint (base: URL, run: Pick<Run, 'id' | 'links'>, token: string | null): string {
  const url = new URL(run.links.cancel, base).href
  return `curl -X POST '${url}' -H 'Authorization: Bearer ${token ?? '<run token>'}'`
}
