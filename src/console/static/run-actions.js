// What the console can do to a run, each one call of the same HTTP API scripts use.
import { call, runPath } from './api.js'

export function cancelRun (auth, id) {
  return call(auth, 'POST', `${runPath(id)}/cancel`)
}

export function steerRun (auth, id, text) {
  return call(auth, 'POST', `${runPath(id)}/messages`, { text })
}

export function answerPermission (auth, id, pid, decision) {
  return call(auth, 'POST', `${runPath(id)}/permissions/${encodeURIComponent(pid)}`, { decision })
}

/** Admin only: a run for a caller, through the caller's own commands, policy and limits. */
export function startRun (auth, fields, key) {
  return call(auth, 'POST', 'v1/admin/runs', { ...fields, id: key })
}

/**
 * An idempotency key for one request being written: sent again (a second tap, a retry after a lost
 * answer) it gets the run already started instead of a second one. Not crypto.randomUUID(), which
 * exists only in secure contexts.
 */
export function newRequestKey () {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
}
