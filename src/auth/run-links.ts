// Links to a run that a chat user can open: when a result is too long for the chat, the last
// message links to the whole run. The token in the link is an HMAC of the run id under a key kept
// in the state directory, so it survives restarts without storing anything, grants reading that
// one run only (never cancelling it), and no other run's link can be derived from it.
import { createHmac, timingSafeEqual } from 'node:crypto'

const PREFIX = 'lnk_'

export class RunLinks {
  readonly #key: Buffer
  readonly #base: string | null

  /** `publicUrl`: how users reach the gateway; without one no link can be given. */
  constructor (key: Buffer, publicUrl: string | undefined) {
    this.#key = key
    this.#base = publicUrl === undefined ? null : publicUrl.replace(/\/+$/, '')
  }

  tokenFor (runId: string): string {
    return PREFIX + createHmac('sha256', this.#key).update(`run-link:${runId}`).digest('base64url')
  }

  matches (runId: string, candidate: string | null): boolean {
    if (candidate === null || !candidate.startsWith(PREFIX)) return false
    const expected = Buffer.from(this.tokenFor(runId))
    const given = Buffer.from(candidate)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  /** The run's read-only link, or null without a public URL. */
  linkFor (runId: string): string | null {
    return this.#base === null ? null : `${this.#base}/v1/runs/${runId}?token=${this.tokenFor(runId)}`
  }
}
