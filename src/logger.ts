// Process log options. Signature headers, bearer tokens and the `token` query parameter are
// removed before anything is written: together with a body they would be a replay kit.
import type { FastifyServerOptions } from 'fastify'
import { CREDENTIAL_HEADERS } from './verify/scheme-headers.ts'

// Every scheme's credential header (the Telegram one is the secret itself), from the one list.
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  ...CREDENTIAL_HEADERS.filter((name) => name !== 'authorization').map((name) => `req.headers["${name}"]`)
]

export function stripTokenFromUrl (url: string): string {
  return url.replace(/([?&]token=)[^&#]*/g, '$1[redacted]')
}

export function loggerOptions (level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: {
      req (req: { method: string, url: string, ip?: string }) {
        return { method: req.method, url: stripTokenFromUrl(req.url), ip: req.ip }
      }
    },
    ...(stream !== undefined ? { stream } : {})
  } as FastifyServerOptions['logger']
}
