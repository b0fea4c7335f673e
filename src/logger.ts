// Process log options. Signature headers, bearer tokens and the `token` query parameter are
// removed before anything is written: together with a body they would be a replay kit. On top of
// that every finished line goes through the secret scrubber, so a configured secret that reaches a
// log message some other way (an error quoting a URL with a bot token in it) is still never written.
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import pino from 'pino'
import type { SecretScrubber } from './secrets/secret-scrubber.ts'
import { CREDENTIAL_HEADERS } from './verify/scheme-headers.ts'

// Every scheme's credential header (the Telegram one is the secret itself), from the one list.
const REDACT = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  ...CREDENTIAL_HEADERS.filter((name) => name !== 'authorization').map((name) => `req.headers["${name}"]`)
]

export function stripTokenFromUrl (url: string): string {
  return url.replace(/([?&]token=)[^&#]*/g, '$1[redacted]')
}

/** `scrubber`: the process's configured secrets, removed from every line written. */
export function loggerOptions (level: string, stream?: NodeJS.WritableStream, scrubber?: Pick<SecretScrubber, 'scrub'>): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: {
      req (req: { method: string, url: string, ip?: string }) {
        return { method: req.method, url: stripTokenFromUrl(req.url), ip: req.ip }
      }
    },
    // The line is scrubbed as written (JSON), which is why the scrubber also knows secrets JSON-escaped.
    ...(scrubber !== undefined ? { hooks: { streamWrite: (line: string) => scrubber.scrub(line) } } : {}),
    // Standard output written asynchronously: while one write is under way the next lines gather and go
    // out together, instead of one blocking write per line on the event loop. Pino flushes what is
    // left when the process exits.
    stream: stream ?? pino.destination({ dest: 1, sync: false })
  } as FastifyServerOptions['logger']
}

/**
 * One info line per request, when it is answered (with the request, status and time); the arrival
 * line is debug. Under a flood of bad requests the log is a good part of the work, and its arrival
 * line says nothing the answer's does not.
 */
export class AnsweredRequestLog extends LogController {
  override incomingRequest (request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error != null) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    }
  }
}
