// Process log options. Signature headers, bearer tokens and the `token` query parameter are never
// written: together with a body they would be a replay kit. On top of that every finished line goes
// through the secret scrubber, so a configured secret that reaches a log message some other way (an
// error quoting a URL with a bot token in it) is still never written.
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import pino from 'pino'
import type { SecretScrubber } from './secrets/secret-scrubber.ts'

export function stripTokenFromUrl (url: string): string {
  return url.replace(/([?&]token=)[^&#]*/g, '$1[redacted]')
}

/** `scrubber`: the process's configured secrets, removed from every line written. */
export function loggerOptions (level: string, stream?: NodeJS.WritableStream, scrubber?: Pick<SecretScrubber, 'scrub'>): FastifyServerOptions['logger'] {
  return {
    level,
    // Headers are kept out by writing none: a request is logged as its method, URL (token removed)
    // and address only. No pino `redact` paths for the credential headers: with this serializer
    // they never match, and pino would still copy and walk every request's line looking for them
    // (5% of the gateway's time under a flood of refusals).
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
