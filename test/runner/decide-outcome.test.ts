import { describe, expect, it } from 'vitest'
import { decideOutcome, type RunFacts } from '../../src/runner/decide-outcome.ts'

const facts = (over: Partial<RunFacts> = {}): RunFacts => ({
  command: 'claude',
  stoppedBy: null,
  timeoutSeconds: 600,
  exit: { code: 0, signal: null, spawnError: null },
  cwdMissing: false,
  cwd: '/w',
  needsReport: true,
  report: { ok: true, output: 'done', session: 's1', cost_usd: 0.5, turns: 2 },
  session: 's0',
  output: 'done',
  truncated: false,
  stderrTail: '',
  ...over
})

describe('decideOutcome', () => {
  it('succeeds on exit 0 with a successful report', () => {
    expect(decideOutcome(facts())).toEqual({ status: 'succeeded', exit_code: 0, output: 'done', truncated: false, error: null, session: 's1', cost_usd: 0.5, turns: 2 })
  })

  it('fails on exit 0 without a report when one is needed, with the stderr tail', () => {
    const o = decideOutcome(facts({ report: null, stderrTail: 'boom\n' }))
    expect(o.status).toBe('failed')
    expect(o.error).toBe('agent exited without a result (exit code 0); stderr (last 4 bytes):\nboom')
    expect(o.session).toBe('s0')
  })

  it('fails on a report that is not ok, naming what the agent said', () => {
    const o = decideOutcome(facts({ exit: { code: 1, signal: null, spawnError: null }, report: { ok: false, output: 'Not logged in', session: null, cost_usd: 0, turns: 1 } }))
    expect(o).toMatchObject({ status: 'failed', exit_code: 1, error: 'agent reported an error: Not logged in (exit code 1)' })
  })

  it('fails on a non-zero exit even with a successful report', () => {
    expect(decideOutcome(facts({ exit: { code: 2, signal: null, spawnError: null } })).status).toBe('failed')
  })

  it('needs only exit 0 when no report is expected', () => {
    expect(decideOutcome(facts({ needsReport: false, report: null })).status).toBe('succeeded')
    expect(decideOutcome(facts({ needsReport: false, report: null, exit: { code: null, signal: 'SIGSEGV', spawnError: null } }))).toMatchObject({
      status: 'failed', exit_code: null, error: 'agent failed (killed by SIGSEGV)'
    })
  })

  it('puts cancel and timeout before anything else', () => {
    expect(decideOutcome(facts({ stoppedBy: 'cancel' })).status).toBe('cancelled')
    expect(decideOutcome(facts({ stoppedBy: 'timeout', timeoutSeconds: 5 }))).toMatchObject({ status: 'timed_out', error: 'agent timed out after 5 s and was killed' })
  })

  it('explains spawn failures', () => {
    const spawn = (code: string | null, over: Partial<RunFacts> = {}) =>
      decideOutcome(facts({ report: null, exit: { code: null, signal: null, spawnError: { code, message: 'spawn x failed' } }, ...over })).error
    expect(spawn('ENOENT')).toBe('agent command "claude" not found on PATH')
    expect(spawn('ENOENT', { command: './bin/agent' })).toBe('agent command "./bin/agent" not found')
    expect(spawn('ENOENT', { cwdMissing: true })).toBe('agent working directory "/w" does not exist')
    expect(spawn('EACCES')).toBe('agent command "claude" is not executable (EACCES)')
    expect(spawn(null)).toBe('could not start agent command "claude": spawn x failed')
  })
})
