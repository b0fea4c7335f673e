// Process log options. Signature headers, bearer tokens and the `token` query parameter are
// removed before anything is written: together with a body they would be a replay kit.
import type { FastifyServerOptions } from 'fastify'

const REDACT = [
  'req.headers.authorization',
  'req.headers["x-webhook-signature"]',
  'req.headers["webhook-signature"]',
  'req.headers["x-hub-signature-256"]',
  'req.headers.cookie'
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
