// One interface for every signature scheme: each scheme is one file next to this one, and
// src/verify/index.ts is the single place where a scheme name maps to its implementation.
import type { IncomingHttpHeaders } from 'node:http'

export interface VerifyInput {
  /** The request body exactly as received: signatures cover bytes, never a re-serialisation. */
  rawBody: Buffer
  headers: IncomingHttpHeaders
  /** Any one that verifies is accepted (rotation). */
  secrets: readonly string[]
  /** Accepted skew in seconds in both directions; 0 means "no timestamp" where the scheme allows it. */
  maxAge: number
  /** Current time in unix seconds (injected so tests control the clock). */
  now: number
  /**
   * The URL the sender addressed, as it sees it: `server.public_url` (or this request's own
   * scheme and host) followed by the raw path and query. Only schemes that sign the URL (twilio) use it, and fail closed without it.
   */
  url?: string
}

export type VerifyResult =
  /** `replayKey`: a key derived only from signed material that identifies this delivery, or null. */
  | { ok: true, replayKey: string | null }
  /** `reason`: for the audit log only, never for the caller. Never contains secrets or signatures. */
  | { ok: false, reason: string }

export interface Verifier {
  verify (input: VerifyInput): VerifyResult
}
