// The event name is in a header GitHub does not sign (X-Hub-Signature-256 covers the body only), so
// it is held to the grammar of GitHub's own names and used only to choose how to read the signed body.
// Swapping it on a captured delivery gains nothing: the body hash is the idempotency key, and a body
// read as the wrong event is ignored or invalid.
import type { IncomingHttpHeaders } from 'node:http'
import { readHeader } from '../../verify/read-header.ts'

const EVENT_NAME = /^[a-z_]{1,64}$/

export type EventName = { ok: true, name: string } | { ok: false, reason: 'missing_event' | 'malformed_event' }

export function readEventName (headers: IncomingHttpHeaders): EventName {
  const header = readHeader(headers, 'x-github-event', 64)
  if (!header.ok) return { ok: false, reason: 'malformed_event' }
  if (header.value === undefined) return { ok: false, reason: 'missing_event' }
  if (!EVENT_NAME.test(header.value)) return { ok: false, reason: 'malformed_event' }
  return { ok: true, name: header.value }
}

/** `event` or `event.action` for answers and logs; an action outside the grammar is left out rather than echoed. */
export function eventLabel (event: string, action: string | undefined): string {
  return action !== undefined && EVENT_NAME.test(action) ? `${event}.${action}` : event
}
