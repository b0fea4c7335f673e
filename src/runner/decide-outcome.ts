// Turns what happened to one agent process into its single outcome. Pure, so every rule is testable
// without a process: who stopped it wins, then whether it started, then its exit and its own report.
import type { AgentOutcome } from './agent-event.ts'
import type { ExitInfo } from './launcher.ts'
import type { AgentReport } from './profiles/profile.ts'
import { oneLine } from './tool-summary.ts'

export interface RunFacts {
  /** argv[0], for messages. */
  command: string
  stoppedBy: 'timeout' | 'idle' | 'cancel' | null
  timeoutSeconds: number
  /** The idle limit in force (for the message when it stopped the run). */
  idleSeconds?: number
  exit: ExitInfo
  /** True when the spawn failed with ENOENT because the working directory is missing. */
  cwdMissing: boolean
  cwd: string
  /** Whether only a successful report counts as success (Claude), or exit 0 does (plain commands). */
  needsReport: boolean
  report: AgentReport | null
  session: string | null
  /** Already capped and marked. */
  output: string
  truncated: boolean
  stderrTail: string
}

export function decideOutcome (f: RunFacts): AgentOutcome {
  const base = {
    exit_code: f.exit.code,
    output: f.output,
    truncated: f.truncated,
    session: f.report?.session ?? f.session,
    cost_usd: f.report?.cost_usd ?? null,
    turns: f.report?.turns ?? null
  }
  if (f.stoppedBy === 'cancel') return { ...base, status: 'cancelled', error: 'run was cancelled' }
  if (f.stoppedBy === 'timeout') {
    return { ...base, status: 'timed_out', error: `agent timed out after ${f.timeoutSeconds} s and was killed` }
  }
  if (f.stoppedBy === 'idle') {
    return { ...base, status: 'timed_out', error: withTail(`agent wrote nothing for ${f.idleSeconds ?? 0} s (idle timeout) and was killed`, f.stderrTail) }
  }
  if (f.exit.spawnError !== null) return { ...base, status: 'failed', error: spawnFailure(f) }
  const error = failure(f)
  return error === null ? { ...base, status: 'succeeded', error: null } : { ...base, status: 'failed', error }
}

/** Null when the run succeeded. */
function failure (f: RunFacts): string | null {
  const how = f.exit.code !== null ? `exit code ${f.exit.code}` : `killed by ${f.exit.signal ?? 'a signal'}`
  if (f.needsReport && f.report === null) return withTail(`agent exited without a result (${how})`, f.stderrTail)
  if (f.report !== null && !f.report.ok) {
    const said = oneLine(f.report.output, 500)
    return withTail(`agent reported an error${said === '' ? '' : `: ${said}`} (${how})`, f.stderrTail)
  }
  if (f.exit.code !== 0) return withTail(`agent failed (${how})`, f.stderrTail)
  return null
}

function spawnFailure (f: RunFacts): string {
  const code = f.exit.spawnError?.code
  if (code === 'ENOENT' && f.cwdMissing) return `agent working directory "${f.cwd}" does not exist`
  if (code === 'ENOENT') {
    return f.command.includes('/') ? `agent command "${f.command}" not found` : `agent command "${f.command}" not found on PATH`
  }
  if (code === 'EACCES') return `agent command "${f.command}" is not executable (EACCES)`
  if (code === 'E2BIG') return 'agent command line is too long for the system (E2BIG)'
  if (code === 'ESANDBOX') return `agent not started: ${oneLine(f.exit.spawnError?.message ?? 'sandbox unavailable', 500)}`
  return `could not start agent command "${f.command}": ${oneLine(f.exit.spawnError?.message ?? 'unknown error', 500)}`
}

function withTail (message: string, tail: string): string {
  const t = tail.trimEnd()
  return t === '' ? message : `${message}; stderr (last ${Buffer.byteLength(t)} bytes):\n${t}`
}
