// GET /v1/runs/live: the admin's run list as Server-Sent Events, for the browser console. First a
// `runs` event (the newest runs and the configured caller ids), then a `run` event each time a run
// appears or changes, and `shutdown` when the gateway stops. Changes come from a store poll shared by
// every follower (src/runs/run-watch.ts), so runs of other processes on a shared store show too.
// Written by the same SSE writer as a run's events: backpressure bound, pings, counted for shutdown.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Gateway } from '../gateway.ts'
import { bearerFrom } from '../auth/bearer.ts'
import { BadRequestError, OverloadedError, UnauthorizedError } from '../errors.ts'
import { ErrorSchema, RunLiveQuerySchema } from '../schemas/http.ts'
import { RunStatus, type Run } from '../schemas/run.ts'
import { formatEvent, openEventStream, streamRun, type RunEventSource, type SseOptions } from '../sse/sse-stream.ts'
import { RunWatch, type RunChange } from '../runs/run-watch.ts'

export interface RunsLiveRouteOptions {
  gateway: Gateway
  sse: SseOptions
}

/** How often the store is read while someone follows: the list is at most this late. */
const POLL_MS = 1000
/** Runs each poll reads, newest first; changes to older runs are not followed. The first list's `limit` is at most this. */
const WINDOW = 100
/** Changes kept for a follower that reads late; one further behind gets a `reset` with the whole list. */
const KEEP = 1000
/** The poll is shared, so a follower costs a socket and little else; this only bounds a runaway client. */
const MAX_FOLLOWERS = 32
/** A list is for looking at: each run's output is cut to this many characters (GET /v1/runs/{id} has it all). */
const OUTPUT_PREVIEW = 200

const STATUSES: readonly string[] = RunStatus.anyOf.map((s) => s.const)

const runsLiveRoute: FastifyPluginAsyncTypebox<RunsLiveRouteOptions> = async (app, { gateway, sse }) => {
  const watch = new RunWatch({
    list: async () => (await gateway.registry.list({ limit: WINDOW })).map(preview),
    // Once draining and nothing runs here any more, the next poll holds the final states: then the end.
    ending: () => gateway.registry.draining && gateway.registry.running === 0 && gateway.registry.queued === 0,
    everyMs: POLL_MS,
    keep: KEEP
  })
  let followers = 0
  app.addHook('onClose', async () => { watch.stop() })

  app.get('/v1/runs/live', {
    // A HEAD would open a stream that never sends a body.
    exposeHeadRoute: false,
    schema: {
      tags: ['runs'],
      summary: 'Follow the run list as Server-Sent Events (admin token only)',
      description: 'For dashboards such as the browser console (`GET /console`). First a `runs` event, `{"runs": [...], "callers": [...]}`: the newest runs matching the filters and the configured caller ids; then a `run` event with the run object whenever a run is created or changes (status, times, cost, turns), and a `shutdown` event before the stream ends because the gateway stops. ' +
        `Changes are read from the store once a second (so runs of every process sharing it show), among the newest ${WINDOW} runs. With \`status\`, a change also names a run that just left that status. ` +
        `Each run's \`output\` is cut to its first ${OUTPUT_PREVIEW} characters. A \`: ping\` comment is sent at least every 15 s while idle. \`?token=\` is accepted because browsers' EventSource cannot set headers.`,
      querystring: RunLiveQuerySchema,
      security: [{ adminToken: [] }],
      produces: ['text/event-stream'],
      response: {
        200: Type.String({ description: 'text/event-stream: events `runs`, `run`, `reset` (the whole list again, after falling behind) and `shutdown`' }),
        400: ErrorSchema,
        401: ErrorSchema,
        503: ErrorSchema
      }
    }
  }, async (request, reply) => {
    if (!gateway.admin.matches(bearerFrom(request, true))) throw new UnauthorizedError()
    const { caller, status, limit } = request.query
    if (status !== undefined && !STATUSES.includes(status)) throw new BadRequestError(`status must be one of ${STATUSES.join(', ')}`)
    if (followers >= MAX_FOLLOWERS) throw Object.assign(new OverloadedError('too many clients follow the run list'), { retryAfter: 5 })
    followers++
    let follow: Awaited<ReturnType<RunWatch['follow']>> | undefined
    try {
      follow = await watch.follow()
      const runs = await gateway.registry.list({ caller, status: status as RunStatus | undefined, limit: limit ?? 50 }).catch((error: unknown) => {
        throw Object.assign(new OverloadedError(`store unavailable: ${(error as Error).message}`), { retryAfter: 5 })
      })
      const callers = Object.keys(gateway.config.callers)
      const matches = (run: Run, was: RunStatus | null = null): boolean =>
        (caller === undefined || run.caller === caller) && (status === undefined || run.status === status || was === status)
      const first = formatEvent({ seq: follow.seq, event: 'runs', data: { runs: runs.map(preview), callers } })
      const source = followerSource(watch, follow.seq, (c) => c.event !== 'run' || matches(c.data as Run, c.was),
        () => ({ runs: watch.latest.filter((r) => matches(r)), callers }))
      reply.hijack()
      openEventStream(reply.raw)
      await gateway.streams.track(streamRun(reply.raw, source, follow.seq, sse, first))
    } finally {
      follow?.release()
      followers--
    }
    return reply
  })
}

/**
 * One follower's view of the shared changes: only those its filters keep. `seen` moves past the ones
 * it skips, so a skipped change never wakes it again; `lastSeq` is the last one it was sent, which is
 * what the writer compares to decide that the stream is idle and needs a ping.
 */
function followerSource (watch: RunWatch, start: number, keep: (c: RunChange) => boolean, snapshot: () => object): RunEventSource {
  let seen = start
  let sent = start
  return {
    read: async (after) => {
      const page = watch.since(Math.max(after, seen))
      seen = page.events.at(-1)?.seq ?? seen
      const events = page.events.filter(keep).map(({ seq, event, data }) => ({ seq, event, data }))
      sent = events.at(-1)?.seq ?? sent
      return { events, reset: page.reset }
    },
    waitAfter: (_seq, signal) => watch.waitAfter(seen, signal),
    lastSeq: () => sent,
    closed: () => watch.ended && seen >= watch.lastSeq,
    snapshot
  }
}

function preview (run: Run): Run {
  return run.output.length <= OUTPUT_PREVIEW ? run : { ...run, output: run.output.slice(0, OUTPUT_PREVIEW) }
}

export default runsLiveRoute
