// The compact body a GitHub Actions step sends for a failed run (docs/github-actions.md, reference
// "Signing a custom failure notification from a GitHub Actions step"), with X-GitHub-Event:
// workflow_run and a GitHub-style signature. The workflow that sends it decides which runs qualify;
// its fork check is the `if:` the documented workflow carries.
import { stringAt, valueAt, type JsonObject } from './fields.ts'
import { FAILED_RUN_CONCLUSIONS, type Extracted } from './failure.ts'
import { checkFailure } from './failure-values.ts'

export const COMPACT_EVENT = 'workflow_run.failed'

/** True when the body is the compact form rather than GitHub's own workflow_run payload. */
export function isCompactRun (payload: JsonObject): boolean {
  return !Object.hasOwn(payload, 'workflow_run') && typeof stringAt(payload, 'event') === 'string'
}

export function readCompactRun (payload: JsonObject): Extracted {
  if (stringAt(payload, 'event') !== COMPACT_EVENT) return { kind: 'ignore', reason: 'event_ignored', label: 'workflow_run' }
  // Optional in the compact form; when the step sends it, it must agree that the run failed.
  const conclusion = valueAt(payload, 'conclusion')
  if (conclusion !== undefined && !(typeof conclusion === 'string' && FAILED_RUN_CONCLUSIONS.has(conclusion))) {
    return { kind: 'ignore', reason: 'event_ignored', label: 'workflow_run.completed' }
  }
  return checkFailure({
    command: 'workflow_run',
    repository: valueAt(payload, 'repository'),
    branch: valueAt(payload, 'head_branch'),
    sha: valueAt(payload, 'head_sha'),
    workflow: valueAt(payload, 'workflow'),
    url: valueAt(payload, 'html_url'),
    user: valueAt(payload, 'actor')
  })
}
