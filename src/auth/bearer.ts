// Who may read and control a run: the run's own token, or the admin token. Both compared in
// constant time over hashes so neither length nor content leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { RunState } from '../runs/run-state.ts'
import type { RunLinks } from './run-links.ts'

/** The bearer token of a request (a Fastify request, or a bare node:http one without a query). */
export function bearerFrom (request: Pick<FastifyRequest, 'headers'> & { query?: unknown }, allowQuery: boolean): string | null {
  const header = request.headers.authorization
  if (typeof header === 'string') {
    // The auth scheme is case-insensitive (RFC 9110 §11.1); the token itself is not.
    const match = /^bearer ([\x21-\x7e]{1,512})$/i.exec(header)
    return match?.[1] ?? null
  }
  if (allowQuery) {
    const token = (request.query as { token?: unknown } | undefined)?.token
    if (typeof token === 'string' && token.length > 0 && token.length <= 512) return token
  }
  return null
}

export class AdminToken {
  readonly #hash: Buffer | null
  constructor (token: string | undefined) {
    this.#hash = token === undefined ? null : createHash('sha256').update(token).digest()
  }

  matches (candidate: string | null): boolean {
    if (this.#hash === null || candidate === null) return false
    return timingSafeEqual(createHash('sha256').update(candidate).digest(), this.#hash)
  }
}

/** `read`: a run link's token (src/auth/run-links.ts), which may read the run but not control it. */
export type Access = 'admin' | 'run' | 'read' | 'none'

export function accessTo (run: RunState | null, token: string | null, admin: AdminToken, links?: RunLinks): Access {
  if (token === null) return 'none'
  if (admin.matches(token)) return 'admin'
  if (run !== null && run.tokenMatches(token)) return 'run'
  if (run !== null && links?.matches(run.id, token) === true) return 'read'
  return 'none'
}
