// What a failed run or check suite comes down to, whichever payload announced it.

export type FailureCommand = 'workflow_run' | 'check_suite'

export interface Failure {
  command: FailureCommand
  /** `owner/name`, checked. */
  repository: string
  /** Free text from the pusher, made fit for a prompt; '' when the payload has none (a tag, a detached head). */
  branch: string
  /** Checked lower-case hex. */
  sha: string
  /** Free text, made fit for a prompt. */
  workflow: string
  /** Checked https URL of the run (or of the commit's checks). */
  url: string
  /** GitHub login of whoever caused the run. */
  user: string
}

export type Extracted =
  | { kind: 'failed', failure: Failure }
  /** `label`: `event` or `event.action`, for the answer. */
  | { kind: 'ignore', reason: 'event_ignored' | 'fork', label: string }
  | { kind: 'invalid', reason: string }

/** Conclusions that mean "something is broken" for a workflow run. */
export const FAILED_RUN_CONCLUSIONS: ReadonlySet<string> = new Set(['failure', 'timed_out', 'startup_failure'])

/** Conclusions that mean "something is broken" for a check suite (it has no startup_failure). */
export const FAILED_SUITE_CONCLUSIONS: ReadonlySet<string> = new Set(['failure', 'timed_out'])
