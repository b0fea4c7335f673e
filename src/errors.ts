// Every error code hookgate answers with, in one place. The HTTP error body is Fastify's
// `{ statusCode, code, error, message }`, so a code thrown here reaches the client unchanged.
// Messages never carry secrets, signatures or request bodies.
import createError from '@fastify/error'

/**
 * Authentication: one opaque answer for every failure; the reason goes to the audit log only. Made
 * without a stack trace: it is an expected answer, not a fault, and under a flood of forged
 * signatures capturing one per request was the costliest step of refusing it after the audit record.
 */
export const UnauthorizedError = createError('HOOKGATE_UNAUTHORIZED', 'Unauthorized', 401, Error, false)

/** Authorization of a verified platform user. */
export const ForbiddenUserError = createError('HOOKGATE_FORBIDDEN_USER', 'This user is not allowed to use this caller', 403)

/** Command policy: the message names the rule that refused the request. */
export const PolicyDeniedError = createError<[string]>('HOOKGATE_POLICY_DENIED', 'Refused by policy: %s', 403)

/** Admission. */
export const RateLimitedError = createError<[number]>('HOOKGATE_RATE_LIMITED', 'Rate limit exceeded, retry in %d s', 429)
export const OverloadedError = createError<[string]>('HOOKGATE_OVERLOADED', 'Gateway is busy: %s', 503)

/** Request shape. */
export const BadRequestError = createError<[string]>('HOOKGATE_BAD_REQUEST', '%s', 400)
export const PayloadTooLargeError = createError<[number]>('HOOKGATE_PAYLOAD_TOO_LARGE', 'Request body exceeds %d bytes', 413)

/** Resources. */
export const NotFoundError = createError<[string]>('HOOKGATE_NOT_FOUND', '%s', 404)
export const ConflictError = createError<[string]>('HOOKGATE_CONFLICT', '%s', 409)

/** Internal failures: the message is replaced by a generic one before it leaves the gateway. */
export const InternalError = createError<[string]>('HOOKGATE_INTERNAL', '%s', 500)

export const ERROR_CODES = [
  'HOOKGATE_UNAUTHORIZED',
  'HOOKGATE_FORBIDDEN_USER',
  'HOOKGATE_POLICY_DENIED',
  'HOOKGATE_RATE_LIMITED',
  'HOOKGATE_OVERLOADED',
  'HOOKGATE_BAD_REQUEST',
  'HOOKGATE_PAYLOAD_TOO_LARGE',
  'HOOKGATE_NOT_FOUND',
  'HOOKGATE_CONFLICT',
  'HOOKGATE_INTERNAL'
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

/** A configuration problem found at load time: `path` is a JSON pointer into the YAML document. */
export class ConfigError extends Error {
  readonly problems: ReadonlyArray<{ path: string, message: string }>
  constructor (problems: ReadonlyArray<{ path: string, message: string }>) {
    super(problems.map((p) => `${p.path || '/'}: ${p.message}`).join('\n'))
    this.name = 'ConfigError'
    this.problems = problems
  }
}
