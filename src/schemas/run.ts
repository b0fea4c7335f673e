// The run object and the event stream's payloads: one schema per shape.
import { Type, type Static } from 'typebox'

export const RunStatus = Type.Union([
  Type.Literal('queued'),
  Type.Literal('running'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('timed_out'),
  Type.Literal('cancelled'),
  Type.Literal('interrupted')
], { description: 'Where the run is in its life; the last five are final' })
export type RunStatus = Static<typeof RunStatus>

export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted'])

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T, description: string) =>
  Type.Union([t, Type.Null()], { description })

export const RunLinksSchema = Type.Object({
  self: Type.String({ description: 'The run object' }),
  events: Type.String({ description: 'The run\'s event stream (Server-Sent Events)' }),
  cancel: Type.String({ description: 'POST here to cancel the run' })
}, { description: 'Where to follow and control the run' })

export const RunSchema = Type.Object({
  id: Type.String({ description: 'Run id, `run_` followed by 26 base32 characters' }),
  caller: Type.String({ description: 'Caller id from the config' }),
  user: Nullable(Type.String(), 'Who asked, as the caller named them'),
  thread: Nullable(Type.String(), 'Conversation thread the caller named'),
  command: Type.String({ description: 'The command that ran' }),
  status: RunStatus,
  created_at: Type.String({ format: 'date-time', description: 'When the run was accepted (RFC 3339)' }),
  started_at: Nullable(Type.String({ format: 'date-time' }), 'When the agent process started'),
  finished_at: Nullable(Type.String({ format: 'date-time' }), 'When the run reached its final status'),
  duration_ms: Nullable(Type.Integer(), 'Milliseconds from start to finish'),
  exit_code: Nullable(Type.Integer(), 'The agent process\'s exit code, null if it was killed by a signal or never started'),
  output: Type.String({ description: 'The final answer text, capped' }),
  truncated: Type.Boolean({ description: 'True when the agent wrote more than `max_output_bytes` and the rest was dropped' }),
  error: Nullable(Type.String(), 'Why the run did not succeed'),
  session: Nullable(Type.String(), 'The agent\'s session id, when it revealed one'),
  cost_usd: Nullable(Type.Number(), 'Cost the agent reported, in US dollars'),
  turns: Nullable(Type.Integer(), 'Turns the agent reported'),
  demo: Type.Optional(Type.Boolean({ description: 'True when the built-in demo agent answered instead of a real one' })),
  project: Type.Optional(Nullable(Type.String(), 'The project (working directory) the agent worked in, when the caller picked or has one')),
  notice: Type.Optional(Nullable(Type.String(), 'Something the gateway tells about this run, e.g. that the previous conversation no longer existed and a fresh one was started')),
  links: RunLinksSchema,
  token: Type.Optional(Type.String({ description: 'Bearer token for this run\'s /v1/runs routes; only in the answer that created the run' }))
}, { description: 'One execution of the agent' })
export type Run = Static<typeof RunSchema>

export const SessionEventSchema = Type.Object({
  session: Type.String({ description: 'The agent\'s session id' }),
  model: Type.Optional(Type.String({ description: 'Model the agent uses' }))
}, { description: 'The agent revealed its session' })

export const TextEventSchema = Type.Object({
  text: Type.String({ description: 'Assistant text; deltas where the agent streams them' })
}, { description: 'Assistant text' })

export const ToolStartEventSchema = Type.Object({
  tool_id: Type.String({ description: 'Id pairing this with its tool_end' }),
  name: Type.String({ description: 'Tool name' }),
  summary: Type.String({ maxLength: 200, description: 'Command, path or URL the tool acts on' })
}, { description: 'The agent started a tool' })

export const ToolEndEventSchema = Type.Object({
  tool_id: Type.String({ description: 'Id of the tool_start this ends' }),
  ok: Type.Boolean({ description: 'Whether the tool succeeded' }),
  summary: Type.Optional(Type.String({ maxLength: 200, description: 'Short outcome' }))
}, { description: 'A tool finished' })

export const LogEventSchema = Type.Object({
  stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')], { description: 'Which output the line came from' }),
  line: Type.String({ description: 'The line, without its newline' })
}, { description: 'Agent output that is not part of its structured stream' })

export const PermissionEventSchema = Type.Object({
  pid: Type.String({ description: 'Permission request id' }),
  tool: Type.String({ description: 'Tool the agent wants to use' }),
  summary: Type.String({ description: 'What it will do' }),
  expires_at: Type.String({ format: 'date-time', description: 'After this the request is denied' })
}, { description: 'The agent asks permission' })

export type SessionEvent = Static<typeof SessionEventSchema>
export type TextEvent = Static<typeof TextEventSchema>
export type ToolStartEvent = Static<typeof ToolStartEventSchema>
export type ToolEndEvent = Static<typeof ToolEndEventSchema>
export type LogEvent = Static<typeof LogEventSchema>
export type PermissionEvent = Static<typeof PermissionEventSchema>

/** One entry of a run's event log; `seq` is the SSE `id:`, strictly increasing from 1 per run. */
export type RunEvent =
  | { seq: number, event: 'run' | 'result' | 'reset', data: Run }
  | { seq: number, event: 'session', data: SessionEvent }
  | { seq: number, event: 'text', data: TextEvent }
  | { seq: number, event: 'tool_start', data: ToolStartEvent }
  | { seq: number, event: 'tool_end', data: ToolEndEvent }
  | { seq: number, event: 'log', data: LogEvent }
  | { seq: number, event: 'permission', data: PermissionEvent }
