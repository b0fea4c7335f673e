// One line of `hookgate doctor`: what was looked at, how it went, and what to do about it. Plain data,
// so the text renderer and `--json` print the same findings.

/** `info` never affects the exit code; `warn` is worth a look; only `fail` makes doctor exit 1. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'info'

export type CheckGroup = 'node' | 'config' | 'agent' | 'sandbox' | 'auth' | 'state' | 'network' | 'clock' | 'redis'

export interface Check {
  readonly group: CheckGroup
  readonly status: CheckStatus
  readonly message: string
  /** A concrete next step, for warnings and failures. */
  readonly fix?: string
  /** Lines that belong under the message, such as each problem of a config that does not load. */
  readonly details?: readonly string[]
}

interface Extra {
  fix?: string
  details?: readonly string[]
}

function make (status: CheckStatus) {
  return (group: CheckGroup, message: string, extra: Extra = {}): Check => ({
    group,
    status,
    message,
    ...(extra.fix !== undefined ? { fix: extra.fix } : {}),
    ...(extra.details !== undefined && extra.details.length > 0 ? { details: extra.details } : {})
  })
}

export const ok = make('ok')
export const warn = make('warn')
export const fail = make('fail')
export const info = make('info')

export function hasFailure (checks: readonly Check[]): boolean {
  return checks.some((c) => c.status === 'fail')
}
