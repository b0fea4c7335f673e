// Request and answer shapes of the HTTP API that are not the run object itself.
import { Type, type Static } from 'typebox'
import { RunSchema } from './run.ts'

export const ErrorSchema = Type.Object({
  statusCode: Type.Integer({ description: 'HTTP status code' }),
  code: Type.String({ description: 'Stable error code, e.g. HOOKGATE_UNAUTHORIZED' }),
  error: Type.String({ description: 'HTTP status text' }),
  message: Type.String({ description: 'What went wrong, for humans; never contains secrets or request content' })
}, { description: 'Every error answer' })

export const WebhookParamsSchema = Type.Object({
  caller: Type.String({ description: 'Caller id from the configuration' })
})

export const WebhookQuerySchema = Type.Object({
  wait: Type.Optional(Type.Integer({ minimum: 0, description: 'Seconds to wait for the run before answering 202 (up to limits.max_sync_wait)' }))
})

export const WebhookBodySchema = Type.Object({
  text: Type.String({ minLength: 1, maxLength: 16384, description: 'The request: `/command args`, or plain text for the caller\'s default command' }),
  user: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Who is asking, as the caller names them (used by /status, /cancel and /confirm)' })),
  thread: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Conversation thread' })),
  id: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Idempotency key chosen by the caller: a repeat never starts a second run' }))
}, { additionalProperties: false, description: 'Body of a generic webhook request (schemes hmac-sha256 and standard-webhooks)' })
export type WebhookBody = Static<typeof WebhookBodySchema>

export const PlatformPayloadSchema = Type.Unknown({
  description: 'Body of a platform caller\'s request (schemes twilio, line, teams, slack, telegram, discord, github): the platform\'s own payload, JSON or form-encoded, exactly as the platform sends it'
})

export const NoticeSchema = Type.Object({
  kind: Type.Union([
    Type.Literal('help'), Type.Literal('status'), Type.Literal('cancel'), Type.Literal('new'), Type.Literal('confirm_required'),
    Type.Literal('permission'), Type.Literal('steered')
  ], { description: 'Which built-in answered (`permission`: /allow or /deny took effect; `steered`: the text went into the active run of this conversation)' }),
  message: Type.String({ description: 'The answer, for humans' }),
  runs: Type.Optional(Type.Array(RunSchema, { description: 'Runs the answer is about' })),
  confirm: Type.Optional(Type.Object({
    code: Type.String({ description: 'Send `/confirm CODE` from the same user to go ahead' }),
    expires_at: Type.String({ format: 'date-time', description: 'After this the code is void' })
  }, { description: 'A confirmation the command needs before it runs' })),
  demo: Type.Optional(Type.Boolean({ description: 'True when the built-in demo agent is configured instead of a real one' }))
}, { description: 'Answer of a built-in command (/help, /status, /cancel, /new, /allow, /deny), a request for confirmation, or a message steered into a running run; no run was started' })
export type Notice = Static<typeof NoticeSchema>

export const RunParamsSchema = Type.Object({
  id: Type.String({ description: 'Run id' })
})

export const RunQuerySchema = Type.Object({
  token: Type.Optional(Type.String({ description: 'The read-only token of a run link sent to a chat (run and admin tokens go in the Authorization header, never in a URL)' }))
})

export const RunEventsQuerySchema = Type.Object({
  token: Type.Optional(Type.String({ description: 'Run token or admin token, for clients that cannot set headers (browser EventSource)' })),
  lastEventId: Type.Optional(Type.Integer({ minimum: 0, description: 'Same as the Last-Event-ID header' }))
})

export const RunListQuerySchema = Type.Object({
  caller: Type.Optional(Type.String({ description: 'Only runs of this caller' })),
  status: Type.Optional(Type.String({ description: 'Only runs with this status' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'At most this many runs, newest first' })),
  before: Type.Optional(Type.String({ description: 'Only runs older than this run id (for paging)' }))
})

export const RunListSchema = Type.Object({
  runs: Type.Array(RunSchema, { description: 'Runs, newest first' })
}, { description: 'A page of runs' })

export const HealthSchema = Type.Object({
  status: Type.String({ description: '`ok`, `ready` or why not ready' })
}, { description: 'Health status' })

export const PermissionParamsSchema = Type.Object({
  id: Type.String({ description: 'Run id' }),
  pid: Type.String({ description: 'Permission request id, from the `permission` event' })
})

export const PermissionAnswerSchema = Type.Object({
  decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')], { description: 'Let the agent use the tool this once, or refuse it' }),
  message: Type.Optional(Type.String({ maxLength: 2000, description: 'With `deny`: told to the agent as the reason' }))
}, { additionalProperties: false, description: 'Answer to a permission request' })

export const PermissionResultSchema = Type.Object({
  pid: Type.String({ description: 'Permission request id' }),
  run: Type.String({ description: 'Run id' }),
  tool: Type.String({ description: 'The tool the request was about' }),
  decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')], { description: 'What was decided' })
}, { description: 'The decision took effect: the agent continues with it' })

export const ReloadResultSchema = Type.Object({
  status: Type.Literal('reloaded', { description: 'The new config is in use' }),
  source: Type.String({ description: 'The config file that was read' }),
  warnings: Type.Array(Type.String(), { description: 'Findings that do not stop the config, `path: message` each' })
}, { additionalProperties: false, description: 'The config was read again and is in use for everything that arrives from now on' })

export const SteerBodySchema = Type.Object({
  text: Type.String({ minLength: 1, maxLength: 16384, description: 'The message for the agent' })
}, { additionalProperties: false, description: 'A steering message' })

export const SteerResultSchema = Type.Object({
  delivered: Type.Union([Type.Literal('live'), Type.Literal('queued')], {
    description: '`live`: written into the running agent session, which reads it after its current step; `queued`: the agent cannot take messages now, so it became the next turn — a new run that continues the conversation once this one ends'
  }),
  message: Type.String({ description: 'What happened, for humans' }),
  run: RunSchema
}, { description: 'Where the message went: the same run (live) or the new run that carries it (queued; with its token)' })

export const RunLiveQuerySchema = Type.Object({
  token: Type.Optional(Type.String({ description: 'The admin token, for clients that cannot set headers (browser EventSource)' })),
  caller: Type.Optional(Type.String({ description: 'Only runs of this caller' })),
  status: Type.Optional(Type.String({ description: 'Only runs with this status (changes also name runs that just left it)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'At most this many runs in the first list, newest first' }))
})

export const AdminRunBodySchema = Type.Object({
  caller: Type.String({ minLength: 1, maxLength: 256, description: 'Caller id from the configuration: the run is that caller\'s, under its commands, policy and rate limit' }),
  text: Type.String({ minLength: 1, maxLength: 16384, description: 'The request: `/command args`, or plain text for the caller\'s default command' }),
  user: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Who the run is for, as the caller names its users (used by /status, /cancel, /confirm and conversations)' })),
  thread: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Conversation thread' })),
  id: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Idempotency key: sending the same `id` again answers with the original run instead of starting another' }))
}, { additionalProperties: false, description: 'A request the admin makes on behalf of a caller' })
export type AdminRunBody = Static<typeof AdminRunBodySchema>
