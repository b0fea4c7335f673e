import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { progressText, resultText } from '../../src/delivery/result-text.ts'
import { decideOutcome, type RunFacts } from '../../src/runner/decide-outcome.ts'
import type { TextUnit } from '../../src/delivery/split-message.ts'
import type { Run } from '../../src/schemas/run.ts'
import { runObject } from '../helpers/run-object.ts'

const T0 = Date.parse('2026-11-01T10:00:00Z')

function finished (patch: Partial<Run>): Run {
  return runObject('run_01JC3Z8Y6Q4W2E5R7T9Y1U3I5O', T0, { status: 'succeeded', started_at: new Date(T0).toISOString(), finished_at: new Date(T0 + 5000).toISOString(), duration_ms: 5000, exit_code: 0, ...patch })
}

/** A run finished the way the runner finishes it, so the tests read the runner's real wording. */
function fromRunner (facts: Partial<RunFacts>): Run {
  const outcome = decideOutcome({
    command: 'claude',
    stoppedBy: null,
    timeoutSeconds: 600,
    exit: { code: 0, signal: null, spawnError: null },
    cwdMissing: false,
    cwd: '/srv/repo',
    needsReport: false,
    report: null,
    session: null,
    output: '',
    truncated: false,
    stderrTail: '',
    ...facts
  })
  return finished(outcome)
}

/** The test's own reading of code fences: the block open at `at`, counting whole lines ending at or before it. */
function fenceOpenAt (text: string, at: number): { reopen: string, close: string } | null {
  let open: { reopen: string, close: string, char: string, length: number } | null = null
  for (let start = 0; start < text.length;) {
    const nl = text.indexOf('\n', start)
    const end = nl === -1 ? text.length : nl + 1
    if (end > at) break
    const line = text.slice(start, nl === -1 ? text.length : nl).replace(/\r$/, '')
    if (open === null) {
      const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line)
      if (m !== null && !(m[1]![0] === '`' && m[2]!.includes('`'))) open = { reopen: m[1]! + m[2]!.trim(), close: m[1]!, char: m[1]![0]!, length: m[1]!.length }
    } else {
      const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line)
      if (m !== null && m[1]![0] === open.char && m[1]!.length >= open.length) open = null
    }
    start = end
  }
  return open === null ? null : { reopen: open.reopen, close: open.close }
}

describe('resultText', () => {
  it('is the output of a run that succeeded', () => {
    expect(resultText(finished({ output: 'All 42 tests pass.\n' }))).toBe('All 42 tests pass.')
    expect(resultText(fromRunner({ output: 'Done: 3 files changed' }))).toBe('Done: 3 files changed')
  })

  it('tells the chat when the answer started a fresh conversation', () => {
    const notice = 'The previous conversation (session abc) no longer exists; this answer starts a fresh one.'
    expect(resultText(finished({ output: 'Hello again.', notice }))).toBe(`ℹ ${notice}\n\nHello again.`)
  })

  it('says so when a run that succeeded wrote nothing', () => {
    expect(resultText(finished({ output: '' }))).toBe('(no output)')
    expect(resultText(finished({ output: ' \n ' }))).toBe('(no output)')
  })

  it('starts a failed run with what went wrong, then its output', () => {
    const run = fromRunner({ exit: { code: 1, signal: null, spawnError: null }, output: 'partial answer', stderrTail: 'Error: model overloaded\n  at main\n' })
    expect(run.status).toBe('failed')
    const text = resultText(run)
    const [first, blank, ...rest] = text.split('\n')
    expect(first).toMatch(/^❌ Failed: agent failed \(exit code 1\); stderr \(last \d+ bytes\): Error: model overloaded at main$/)
    expect(blank).toBe('')
    expect(rest.join('\n')).toBe('partial answer')
  })

  it('keeps a long error to one short line', () => {
    const text = resultText(finished({ status: 'failed', error: 'boom\n'.repeat(500), output: '' }))
    expect(text.split('\n')).toHaveLength(1)
    expect([...text].length).toBeLessThanOrEqual('❌ Failed: '.length + 300)
    expect(text.endsWith('…')).toBe(true)
  })

  it('names the exit code when a failure has no error text', () => {
    expect(resultText(finished({ status: 'failed', error: null, exit_code: 2 }))).toBe('❌ Failed: exit code 2')
  })

  it('gives the timeout the runner enforced, or the duration', () => {
    const run = fromRunner({ stoppedBy: 'timeout', timeoutSeconds: 600, exit: { code: null, signal: 'SIGKILL', spawnError: null }, output: 'half done' })
    expect(run.status).toBe('timed_out')
    expect(resultText(run)).toBe('⏱ Timed out after 600 s\n\nhalf done')
    expect(resultText(finished({ status: 'timed_out', error: null, duration_ms: 61_400 }))).toBe('⏱ Timed out after 61 s')
  })

  it('says a run was cancelled, with a reason only when it tells more', () => {
    expect(resultText(fromRunner({ stoppedBy: 'cancel', exit: { code: null, signal: 'SIGTERM', spawnError: null } }))).toBe('⛔ Cancelled')
    expect(resultText(finished({ status: 'cancelled', error: 'cancelled by request' }))).toBe('⛔ Cancelled')
    expect(resultText(finished({ status: 'cancelled', error: 'superseded by a newer message' }))).toBe('⛔ Cancelled: superseded by a newer message')
  })

  it('says a run was interrupted by the gateway, and why', () => {
    expect(resultText(finished({ status: 'interrupted', error: 'interrupted: the gateway crashed or was killed while the run was running', output: 'step 1 ok' })))
      .toBe('⚠ Interrupted: the gateway crashed or was killed while the run was running\n\nstep 1 ok')
    expect(resultText(finished({ status: 'interrupted', error: null }))).toBe('⚠ Interrupted: the gateway restarted while this ran')
    expect(resultText(finished({ status: 'interrupted', error: 'not started: the gateway is shutting down' }))).toBe('⚠ Not started: the gateway is shutting down')
  })

  it('tells when the output was cut and when the demo agent answered, above the output', () => {
    const text = resultText(finished({ output: 'x'.repeat(100), truncated: true, demo: true }))
    const lines = text.split('\n')
    expect(lines[0]).toMatch(/^🧪 Demo: .*built-in demo agent/)
    expect(lines[1]).toMatch(/^✂ The output was cut at the gateway's output limit/)
    expect(lines[2]).toBe('')
    expect(lines[3]).toBe('x'.repeat(100))
  })

  it('does not show the run\'s token', () => {
    expect(resultText(finished({ output: 'ok', token: 'hgr_secret_token_value' }))).not.toContain('hgr_secret')
  })
})

describe('progressText', () => {
  const telegram = { chars: 4096, unit: 'codepoint' as const }

  it('shows all of a short text, then that it is still working', () => {
    expect(progressText('Reading the repository…\n', telegram)).toBe('Reading the repository…\n\n⏳ working')
    expect(progressText('', telegram)).toBe('⏳ working')
  })

  it('shows the end of a long text with a leading ellipsis, starting at a line', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `step ${i}`).join('\n')
    const view = progressText(text, telegram)
    expect([...view].length).toBeLessThanOrEqual(4096)
    expect(view.startsWith('…step ')).toBe(true)
    expect(view.endsWith('step 999\n\n⏳ working')).toBe(true)
    expect(text.endsWith(view.slice(1, -'\n\n⏳ working'.length))).toBe(true)
  })

  it('reopens a code block the tail starts in and closes one the agent is still writing', () => {
    const text = 'Here is the fix:\n```ts\n' + 'const a = 1\n'.repeat(600)
    const view = progressText(text, { chars: 1000, unit: 'codepoint' })
    expect(view.length).toBeLessThanOrEqual(1000)
    expect(view.startsWith('…\n```ts\nconst a = 1\n')).toBe(true)
    expect(view.endsWith('const a = 1\n```\n\n⏳ working')).toBe(true)
  })

  it('property: always one message, the end of the text verbatim, fences repaired, no broken surrogate pair', () => {
    const piece = fc.oneof(
      fc.constantFrom('\n', ' ', '😀', '👨‍👩‍👧', '界界', 'e\u0301', '\n```\n', '\n```ts\n', '\n~~~\n'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60, size: 'max' })
    )
    const text = fc.array(piece, { maxLength: 80, size: 'max' }).map((p) => p.join(''))
    fc.assert(fc.property(text, fc.integer({ min: 60, max: 800 }), fc.constantFrom<TextUnit>('utf16', 'codepoint'), (t, chars, unit) => {
      const view = progressText(t, { chars, unit })
      expect(unit === 'utf16' ? view.length : [...view].length).toBeLessThanOrEqual(chars)
      expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(view)).toBe(false)
      const whole = t.trimEnd()
      if (whole.trim() === '') {
        expect(view).toBe('⏳ working')
        return
      }
      expect(view.endsWith('\n\n⏳ working')).toBe(true)
      let core = view.slice(0, -'\n\n⏳ working'.length)
      const openAtEnd = fenceOpenAt(whole, whole.length)
      if (openAtEnd !== null) {
        expect(core.endsWith('\n' + openAtEnd.close)).toBe(true)
        core = core.slice(0, -(openAtEnd.close.length + 1))
      }
      if (!core.startsWith('…')) {
        expect(core).toBe(whole)
        return
      }
      // The tail either starts outside a block, or inside one and is preceded by that block's fence line.
      const plain = core.slice(1)
      const plainFits = whole.endsWith(plain) && fenceOpenAt(whole, whole.length - plain.length) === null
      const reopened = /^\n([^\n]*)\n([^]*)$/.exec(plain)
      const reopenFits = reopened !== null && whole.endsWith(reopened[2]!) && fenceOpenAt(whole, whole.length - reopened[2]!.length)?.reopen === reopened[1]
      expect(plainFits || reopenFits).toBe(true)
    }), { numRuns: 300, interruptAfterTimeLimit: 10_000, markInterruptAsFailure: true })
  })
})
