// What a chat user reads about a run: the final message (the output, and when the run did not
// succeed, one first line saying what happened) and the live view while it works. Status lines come
// first so they stay visible when a long output is split or cut.
import type { MessageLimits } from '../platforms/adapter.ts'
import type { Run } from '../schemas/run.ts'
import { fitBackward, isBlank, isGraphemeBoundary, mapFences, measure } from './split-message.ts'

const ERROR_MAX_CHARS = 300
const WORKING = '⏳ working'

/** The chat text of a finished run. */
export function resultText (run: Run): string {
  const head: string[] = []
  if (run.demo === true) head.push('🧪 Demo: this answer comes from hookgate\'s built-in demo agent, not a real coding agent.')
  const status = statusLine(run)
  if (status !== null) head.push(status)
  if (run.truncated) head.push('✂ The output was cut at the gateway\'s output limit; the rest was not kept.')
  if (run.notice != null) head.push(`ℹ ${run.notice}`)
  const output = run.output.trimEnd()
  const body = isBlank(output) ? (run.status === 'succeeded' ? '(no output)' : '') : output
  if (head.length === 0) return body
  return body === '' ? head.join('\n') : head.join('\n') + '\n\n' + body
}

function statusLine (run: Run): string | null {
  const error = run.error === null ? null : oneLine(run.error)
  switch (run.status) {
    case 'succeeded':
      return null
    case 'failed':
      return `❌ Failed: ${error ?? (run.exit_code !== null ? `exit code ${run.exit_code}` : 'no reason given')}`
    case 'timed_out': {
      // The runner says the configured limit ("timed out after 600 s"); the duration is the fallback.
      const said = run.error === null ? null : /after (\d+) s\b/.exec(run.error)
      const seconds = said !== null ? Number(said[1]) : run.duration_ms !== null ? Math.round(run.duration_ms / 1000) : null
      return seconds === null ? '⏱ Timed out' : `⏱ Timed out after ${seconds} s`
    }
    case 'cancelled':
      // "run was cancelled" and "cancelled by request" say nothing the first word does not.
      return error === null || /^(run was )?cancel/i.test(error) ? '⛔ Cancelled' : `⛔ Cancelled: ${error}`
    case 'interrupted': {
      if (error !== null && /^not started:/i.test(error)) return `⚠ Not started: ${error.replace(/^not started:\s*/i, '')}`
      const why = error === null ? '' : error.replace(/^interrupted:\s*/i, '')
      return `⚠ Interrupted: ${why === '' ? 'the gateway restarted while this ran' : why}`
    }
    default:
      return '⏳ Still working'
  }
}

/** One line of at most ERROR_MAX_CHARS code points. */
function oneLine (text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  const points = Array.from(flat)
  return points.length <= ERROR_MAX_CHARS ? flat : points.slice(0, ERROR_MAX_CHARS - 1).join('') + '…'
}

/**
 * The live view of a working run: the end of what it has written so far, cut to one message, with a
 * leading "…" when the start is dropped and a last line saying it is still working. A code block
 * the tail starts or ends inside is reopened and closed, so the view renders as code.
 */
export function progressText (soFar: string, limits: Pick<MessageLimits, 'chars' | 'unit'>): string {
  const text = soFar.trimEnd()
  if (isBlank(text)) return WORKING
  const { unit } = limits
  const trailer = '\n\n' + WORKING
  const fences = mapFences(text)
  const openAtEnd = fences.openAt(text.length)
  const close = openAtEnd === null ? '' : '\n' + openAtEnd.close
  const whole = text + close + trailer
  if (measure(whole, unit) <= limits.chars) return whole
  let budget = limits.chars - measure('…' + close + trailer, unit)
  for (let tries = 0; tries < 3 && budget > 0; tries++) {
    const start = tailStart(text, budget, unit)
    const open = fences.openAt(start)
    const reopen = open === null ? '' : '\n' + open.reopen + '\n'
    const view = '…' + reopen + text.slice(start) + close + trailer
    if (measure(view, unit) <= limits.chars) return view
    budget -= measure(reopen, unit)
  }
  // Only a limit too small for a fence line and some text lands here: the tail without the repairs.
  const start = tailStart(text, Math.max(1, limits.chars - measure('…' + trailer, unit)), unit)
  return '…' + text.slice(start) + trailer
}

/** Where the tail that fits `budget` begins: a line or word start near the front, else a grapheme boundary. */
function tailStart (text: string, budget: number, unit: MessageLimits['unit']): number {
  let start = fitBackward(text, text.length, budget, unit)
  const near = start + (text.length - start) / 5
  for (const separator of ['\n', ' ']) {
    const at = text.indexOf(separator, start)
    if (at !== -1 && at < near && at + 1 < text.length && isGraphemeBoundary(text, at + 1)) return at + 1
  }
  while (start < text.length && !isGraphemeBoundary(text, start)) start++
  return start
}
