// Which conversation a request belongs to: runs from the same caller, user and thread,
// in the same project, continue one agent session. A request that names neither a user nor a thread
// is a one-shot run: continuing the session of every anonymous call of a caller would both mix
// unrelated requests and make them wait for each other.

export interface SessionKeyParts {
  caller: string
  user: string | null
  thread: string | null
  project: string | null
}

/** A stable, unambiguous key, or null for a one-shot run. */
export function sessionKey (parts: SessionKeyParts): string | null {
  if (parts.user === null && parts.thread === null) return null
  return JSON.stringify([parts.caller, parts.user, parts.thread, parts.project])
}
