// `workflow_run` as GitHub sends it to a repository or organization webhook.
import { eventLabel } from './event-name.ts'
import { objectAt, stringAt, valueAt, type JsonObject } from './fields.ts'
import { FAILED_RUN_CONCLUSIONS, type Extracted } from './failure.ts'
import { checkFailure } from './failure-values.ts'

export function readWorkflowRun (payload: JsonObject): Extracted {
  const run = objectAt(payload, 'workflow_run')
  if (run === undefined) return { kind: 'invalid', reason: 'malformed_payload' }
  const action = stringAt(payload, 'action')
  if (action !== 'completed') return { kind: 'ignore', reason: 'event_ignored', label: eventLabel('workflow_run', action) }
  const conclusion = stringAt(run, 'conclusion')
  if (conclusion === undefined || !FAILED_RUN_CONCLUSIONS.has(conclusion)) {
    return { kind: 'ignore', reason: 'event_ignored', label: 'workflow_run.completed' }
  }

  const repository = stringAt(objectAt(payload, 'repository'), 'full_name')
  // A pull request from a fork runs the fork's code under a branch name and commit message the fork's
  // author chose: a stranger could write the prompt our agent reads. Only runs of this repository's own
  // branches go through. A missing head repository (a fork since deleted) counts as a fork.
  const headRepository = stringAt(objectAt(run, 'head_repository'), 'full_name')
  if (repository !== undefined && headRepository !== repository) {
    return { kind: 'ignore', reason: 'fork', label: 'workflow_run.completed' }
  }

  return checkFailure({
    command: 'workflow_run',
    repository,
    branch: valueAt(run, 'head_branch'),
    sha: valueAt(run, 'head_sha'),
    // The run's own name is what the Actions tab shows; older payloads leave it empty.
    workflow: stringAt(run, 'name') || stringAt(objectAt(payload, 'workflow'), 'name'),
    url: valueAt(run, 'html_url'),
    user: stringAt(objectAt(payload, 'sender'), 'login')
  })
}
