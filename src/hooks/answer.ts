// Answers a webhook request with its run, in the mode the caller asked for:
// the live event stream, 202 at once, or a bounded wait for the finished run.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Gateway } from '../gateway.ts'
import type { RunState } from '../runs/run-state.ts'
import { formatEvent, openEventStream, streamRun, type SseOptions } from '../sse/sse-stream.ts'

export interface AnswerContext {
  gateway: Gateway
  sse: SseOptions
  run: RunState
  /** The run's token, only when this request created the run. */
  token: string | null
}

export function wantsEventStream (request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').split(',').some((t) => t.trim().toLowerCase().startsWith('text/event-stream'))
}

export function prefersAsync (request: FastifyRequest): boolean {
  return /(^|[,;\s])respond-async([,;\s]|$)/i.test(String(request.headers.prefer ?? ''))
}

export async function answerRun (request: FastifyRequest, reply: FastifyReply, ctx: AnswerContext): Promise<FastifyReply> {
  const { gateway, run, token } = ctx
  const withToken = () => token === null ? run.snapshot() : { ...run.snapshot(), token }

  if (wantsEventStream(request)) {
    // The first event of the creating stream carries the token; later events never do.
    const first = token === null ? undefined : run.log.since(0, 1).events[0]
    const prelude = first !== undefined && token !== null && first.event === 'run'
      ? formatEvent({ seq: first.seq, event: 'run', data: { ...first.data, token } })
      : undefined
    reply.hijack()
    openEventStream(reply.raw, reply.getHeaders() as Record<string, string>)
    await gateway.streams.track(streamRun(reply.raw, gateway.registry.eventSource(run), prelude !== undefined ? 1 : 0, ctx.sse, prelude))
    return reply
  }

  if (!prefersAsync(request)) {
    const { sync_wait: syncWait, max_sync_wait: maxWait } = gateway.config.limits
    const asked = (request.query as { wait?: number }).wait
    const seconds = Math.min(asked ?? syncWait, maxWait)
    await gateway.registry.waitFinished(run, seconds * 1000)
    // Final and recorded: the answer never reports an outcome the audit log and store lack.
    if (run.settled) return reply.code(200).send(withToken())
  }
  return reply.code(202).header('location', run.snapshot().links.self).send(withToken())
}

