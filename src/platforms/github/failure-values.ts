// Checks the fields every failure needs, in one place, so the three payload readers differ only in
// where they find them.
import { checkHttpsUrl, checkLogin, checkRepository, checkSha } from './checked-values.ts'
import type { Extracted, FailureCommand } from './failure.ts'
import { templateValue } from './template-value.ts'

export interface RawFailure {
  command: FailureCommand
  repository: unknown
  branch: unknown
  sha: unknown
  workflow: unknown
  url: unknown
  user: unknown
}

export function checkFailure (raw: RawFailure): Extracted {
  const repository = checkRepository(raw.repository)
  if (repository === null) return { kind: 'invalid', reason: 'invalid_repository' }
  const sha = checkSha(raw.sha)
  if (sha === null) return { kind: 'invalid', reason: 'invalid_sha' }
  const url = checkHttpsUrl(raw.url)
  if (url === null) return { kind: 'invalid', reason: 'invalid_url' }
  const user = checkLogin(raw.user)
  if (user === null) return { kind: 'invalid', reason: 'invalid_sender' }
  // A branch may legitimately be null (a tag or a detached head); anything else that is not a
  // string is a payload GitHub does not send.
  if (raw.branch !== null && raw.branch !== undefined && typeof raw.branch !== 'string') {
    return { kind: 'invalid', reason: 'invalid_branch' }
  }
  return {
    kind: 'failed',
    failure: {
      command: raw.command,
      repository,
      branch: templateValue(raw.branch),
      sha,
      workflow: templateValue(raw.workflow),
      url,
      user
    }
  }
}
