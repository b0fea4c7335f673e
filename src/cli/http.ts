// Talking to the gateway: what its refusals and our connection failures mean for the user.
import type { Dispatcher } from 'undici'
import { CliError } from './cli-error.ts'
import { EXIT } from './context.ts'
import { oneLine } from './style.ts'

const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'the connection closed unexpectedly',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'the gateway stopped sending (no event or ping in time)',
  UND_ERR_CLOSED: 'the connection closed unexpectedly',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name'
}

function errorCode (err: unknown): string | undefined {
  const e = err as { code?: unknown, cause?: { code?: unknown }, errors?: Array<{ code?: unknown }> }
  for (const code of [e.code, e.cause?.code, e.errors?.[0]?.code]) {
    if (typeof code === 'string') return code
  }
  return undefined
}

/** What went wrong with the connection, in words, or null if `err` is something else (a bug, an abort). */
export function connectionProblem (err: unknown): string | null {
  const code = errorCode(err)
  return code !== undefined && Object.hasOwn(CONNECT_ERRORS, code) ? CONNECT_ERRORS[code]! : null
}

/** A failure to talk to the gateway at all, or null if `err` is something else (a bug, an abort). */
export function connectionError (err: unknown, base: URL): CliError | null {
  const code = errorCode(err)
  if (code === undefined || !Object.hasOwn(CONNECT_ERRORS, code)) return null
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)
  const hint = code === 'ECONNREFUSED'
    ? (local ? '\n  Is the gateway running? Start it in another terminal with `npm start` (or `hookgate serve`).' : '\n  Is the gateway running there? Check --url or $HOOKGATE_URL.')
    : ''
  return new CliError(`cannot reach the gateway at ${base.origin}: ${CONNECT_ERRORS[code]}${hint}`, EXIT.refused)
}

/** Reads a JSON answer; null when the body is not JSON (a proxy's HTML error page, for instance). */
export async function readJson (body: Dispatcher.ResponseData['body']): Promise<{ value: unknown, text: string }> {
  const text = await body.text()
  try {
    return { value: JSON.parse(text) as unknown, text }
  } catch {
    return { value: null, text }
  }
}

const HINTS: Record<string, string> = {
  HOOKGATE_UNAUTHORIZED: 'check --caller and the secret; for hmac-sha256 also that this clock is within the caller\'s max_age of the gateway\'s',
  HOOKGATE_POLICY_DENIED: 'the caller\'s policy or commands do not allow this text; try "/help"',
  HOOKGATE_PAYLOAD_TOO_LARGE: 'the text is longer than the gateway accepts'
}

/** The gateway said no: `CODE: message`, plus what to do about it. */
export function refusal (statusCode: number, headers: Dispatcher.ResponseData['headers'], json: unknown, text: string): CliError {
  const body = json as { code?: unknown, message?: unknown } | null
  const code = typeof body?.code === 'string' ? body.code : `HTTP ${statusCode}`
  const message = typeof body?.message === 'string' ? oneLine(body.message) : oneLine(text).slice(0, 200) || 'no details'
  const retryAfter = headers['retry-after']
  const hints = [
    ...(HINTS[code] !== undefined ? [HINTS[code]] : []),
    ...(typeof retryAfter === 'string' ? [`retry in ${retryAfter} s`] : [])
  ]
  return new CliError(`${code}: ${message}${hints.map((h) => `\n  ${h}`).join('')}`, EXIT.refused)
}
