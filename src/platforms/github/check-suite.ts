// `check_suite` as GitHub sends it. Unlike workflow_run it does not say which repository the head
// commit came from, so it cannot tell a fork's pull request apart; docs/platforms.md says so and
// recommends workflow_run.
import { eventLabel } from './event-name.ts'
import { objectAt, stringAt, valueAt, type JsonObject } from './fields.ts'
import { checkHttpsUrl, checkSha } from './checked-values.ts'
import { FAILED_SUITE_CONCLUSIONS, type Extracted } from './failure.ts'
import { checkFailure } from './failure-values.ts'

export function readCheckSuite (payload: JsonObject): Extracted {
  const suite = objectAt(payload, 'check_suite')
  if (suite === undefined) return { kind: 'invalid', reason: 'malformed_payload' }
  const action = stringAt(payload, 'action')
  if (action !== 'completed') return { kind: 'ignore', reason: 'event_ignored', label: eventLabel('check_suite', action) }
  const conclusion = stringAt(suite, 'conclusion')
  if (conclusion === undefined || !FAILED_SUITE_CONCLUSIONS.has(conclusion)) {
    return { kind: 'ignore', reason: 'event_ignored', label: 'check_suite.completed' }
  }

  const repository = objectAt(payload, 'repository')
  return checkFailure({
    command: 'check_suite',
    repository: stringAt(repository, 'full_name'),
    branch: valueAt(suite, 'head_branch'),
    sha: valueAt(suite, 'head_sha'),
    workflow: stringAt(objectAt(suite, 'app'), 'name'),
    url: checksUrl(stringAt(repository, 'html_url'), valueAt(suite, 'head_sha')),
    user: stringAt(objectAt(payload, 'sender'), 'login')
  })
}

/** The commit's checks page; undefined (then refused as invalid_url) unless both parts are sound. */
function checksUrl (repositoryUrl: string | undefined, sha: unknown): string | undefined {
  const base = checkHttpsUrl(repositoryUrl)
  const commit = checkSha(sha)
  if (base === null || commit === null) return undefined
  const url = new URL(base)
  if (url.search !== '' || url.hash !== '') return undefined
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}/commit/${commit}/checks`
}
