// The configuration file's one schema. Types, defaults, `hookgate check` and docs/configuration.md
// all derive from it, so a key exists in exactly one place.
import { Type, type Static, type TSchema } from 'typebox'

const Seconds = (description: string, def: number, minimum = 0) =>
  Type.Optional(Type.Integer({ minimum, default: def, description }))

const Pattern = Type.String({
  minLength: 1,
  maxLength: 512,
  description: 'A regular expression run by the linear-time engine against the normalised, case-folded text; backreferences and lookaround are refused at load'
})

export const ToolsSchema = Type.Object({
  allow: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Tools the agent may use without asking, in the agent\'s own rule syntax (e.g. `Read`, `Bash(git status:*)`)' })),
  deny: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Tools the agent must never use; a deny always wins over an allow' }))
}, { additionalProperties: false, description: 'Tool policy handed to the agent\'s own permission mechanism' })

export const ServerSchema = Type.Object({
  host: Type.Optional(Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address to listen on; keep 127.0.0.1 behind a TLS reverse proxy' })),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: 8787, description: 'TCP port to listen on (0 picks a free port)' })),
  public_url: Type.Optional(Type.String({ format: 'uri', description: 'How callers reach this gateway (used for links in answers and for platform signatures over the URL)' })),
  trust_proxy: Type.Optional(Type.Union([Type.Boolean(), Type.String()], { default: false, description: 'Trust X-Forwarded-* from this proxy address (or true for any); needed for per-address limits behind a proxy' }))
}, { additionalProperties: false, description: 'HTTP listener' })

export const AgentProfileName = Type.Union([
  Type.Literal('claude'),
  Type.Literal('codex'),
  Type.Literal('gemini'),
  Type.Literal('opencode'),
  Type.Literal('copilot'),
  Type.Literal('command'),
  Type.Literal('demo')
], { description: 'How the agent is started and how its output is read: `claude` (Claude Code stream-json), `codex` (codex exec --json), `gemini` (gemini stream-json), `opencode` (opencode run --format json), `copilot` (copilot JSONL), `command` (any program; stdout lines are text), `demo` (the built-in demo agent)' })

export const AgentSchema = Type.Object({
  profile: Type.Optional({ ...AgentProfileName, default: 'claude' }),
  command: Type.Optional(Type.String({ minLength: 1, description: 'Executable name (looked up on PATH) or path of the agent CLI; default: the profile\'s own (`claude`, `codex`, `gemini`, `opencode`, `copilot`)' })),
  args: Type.Optional(Type.Array(Type.String(), { default: [], description: 'Extra arguments for the profile (e.g. `--model`, `sonnet`); placed before the prompt separator' })),
  argv: Type.Optional(Type.Array(Type.String(), { default: [], description: 'Profile `command` only: the whole command line, argv[0] the executable; the element "{prompt}" becomes exactly one argument' })),
  cwd: Type.Optional(Type.String({ minLength: 1, default: '.', description: 'Working directory of the agent, relative to the config file' })),
  timeout: Seconds('Wall-clock seconds a run may take; then its whole process tree is killed', 600, 1),
  kill_grace: Seconds('Seconds between SIGTERM and SIGKILL when a run is stopped', 5, 0),
  env: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), { default: [], description: 'Names of variables passed through from the gateway\'s environment; the agent sees nothing else but PATH, HOME, LANG, TERM=dumb and NO_COLOR=1' })),
  max_output_bytes: Type.Optional(Type.Integer({ minimum: 1024, default: 10485760, description: 'Bytes of agent output read per run; the rest is dropped with a truncation marker' })),
  idle_timeout: Type.Optional(Type.Integer({ minimum: 0, description: 'Seconds without any output (and no permission question pending) after which the run is stopped as timed out; 0 turns it off. Default: the profile\'s (600 for codex and opencode, which retry network errors forever; off for the others)' })),
  state: Type.Optional(Type.Union([Type.Literal('per_caller'), Type.Literal('shared')], { default: 'per_caller', description: '`per_caller`: each caller\'s agent gets its own config and session directory under state_dir/agents (CLAUDE_CONFIG_DIR, CODEX_HOME, …), so concurrent runs never share state; log in with an API key or token in `env`. `shared`: the agent uses the home of the user hookgate runs as (its own login)' })),
  trust_repo: Type.Optional(Type.Boolean({ default: false, description: 'Let the agent load settings, hooks, plugins and MCP servers from the repository it works in; off by default because a repository can then run code through the agent' })),
  sandbox: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('bwrap')], { default: 'none', description: '`bwrap`: run the agent under bubblewrap (own PID namespace, dies with the gateway, the file system read-only except its working directory and its state directory)' }))
}, { additionalProperties: false, description: 'The agent CLI that runs each request' })

/** A caller's changes to the global agent (same keys; what is not set is inherited). */
/**
 * A caller's changes to the global agent: the same keys without their defaults (an unset key is
 * inherited from `agent`, not reset to its default), so the schema is AgentSchema with `default` removed.
 */
export const CallerAgentSchema = Type.Unsafe<Partial<Static<typeof AgentSchema>>>(Type.Object(
  Object.fromEntries(Object.entries(AgentSchema.properties as Record<string, TSchema & { default?: unknown }>).map(([key, { default: _unused, ...schema }]) => [key, Type.Optional(schema)])),
  { additionalProperties: false, description: 'This caller\'s agent, when it differs from the global `agent` (e.g. another profile); unset keys are inherited' }
))

export const SessionsSchema = Type.Object({
  idle: Seconds('Seconds a conversation may rest before the next message starts a fresh agent session', 1800, 1),
  max_age: Seconds('Seconds after its start that a conversation is replaced by a fresh agent session', 14400, 1)
}, { additionalProperties: false, description: 'Agent sessions: runs from the same caller, user and thread continue one session' })

export const PermissionsSchema = Type.Object({
  timeout: Seconds('Seconds to answer a permission request; no answer by then is a deny', 600, 1),
  max_per_run: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20, description: 'Permission questions one run may ask; past it every further request is denied without asking' }))
}, { additionalProperties: false, description: 'Permission relay' })

export const LimitsSchema = Type.Object({
  concurrency: Type.Optional(Type.Integer({ minimum: 1, default: 2, description: 'Runs executing at once on this machine' })),
  queue: Type.Optional(Type.Integer({ minimum: 0, default: 16, description: 'Runs waiting for a slot; beyond it requests get 503 HOOKGATE_OVERLOADED' })),
  sync_wait: Seconds('Seconds a plain request waits for its run before answering 202', 30),
  max_sync_wait: Seconds('Upper bound for `?wait=N`', 120),
  body_bytes: Type.Optional(Type.Integer({ minimum: 1024, default: 1048576, description: 'Largest request body accepted; larger bodies get 413 without being read' })),
  per_address: Type.Optional(Type.Object({
    max: Type.Integer({ minimum: 1, description: 'Requests per window from one client address, counted before verification' }),
    window: Type.Integer({ minimum: 1, description: 'Window length in seconds' })
  }, { additionalProperties: false, default: { max: 600, window: 60 }, description: 'Cheap flood guard per client address, applied before the signature is checked' })),
  sse_clients_per_run: Type.Optional(Type.Integer({ minimum: 1, default: 100, description: 'Event-stream clients allowed on one run at once' })),
  run_log_bytes: Type.Optional(Type.Integer({ minimum: 65536, default: 16777216, description: 'Bytes of each run\'s events kept in the store for replay (at most 50,000 events); past it the oldest are dropped and a late reader gets `reset`' }))
}, { additionalProperties: false, description: 'Admission limits' })

export const PolicySchema = Type.Object({
  block: Type.Optional(Type.Array(Pattern, { default: [], maxItems: 200, description: 'Patterns that refuse any request whose normalised text matches (a tripwire, not a sandbox)' })),
  max_prompt_chars: Type.Optional(Type.Integer({ minimum: 1, maximum: 1048576, default: 16384, description: 'Longest request text accepted, in characters' }))
}, { additionalProperties: false, description: 'Global command policy' })

export const CommandSchema = Type.Object({
  prompt: Type.String({ minLength: 1, description: 'Prompt template; `{args}` is replaced by the text after the command name' }),
  description: Type.Optional(Type.String({ description: 'One line shown by /help' })),
  allow: Type.Optional(Type.Array(Pattern, { maxItems: 200, description: 'If set, the normalised arguments must match at least one of these' })),
  args_match: Type.Optional({ ...Pattern, description: 'The normalised arguments must match this pattern' }),
  choices: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'The arguments must be exactly one of these' })),
  confirm: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Argument values that need `/confirm CODE` from the same user within 5 minutes' })),
  tools: Type.Optional(ToolsSchema)
}, { additionalProperties: false })

export const RateLimitSchema = Type.Object({
  max: Type.Integer({ minimum: 1, description: 'Requests accepted per window for this caller' }),
  window: Type.Integer({ minimum: 1, description: 'Window length in seconds' })
}, { additionalProperties: false, description: 'Per-caller limit, counted after verification' })

export const SchemeName = Type.Union([
  Type.Literal('hmac-sha256'),
  Type.Literal('standard-webhooks'),
  Type.Literal('github'),
  Type.Literal('slack'),
  Type.Literal('twilio'),
  Type.Literal('line'),
  Type.Literal('teams'),
  Type.Literal('telegram'),
  Type.Literal('discord')
], { description: 'How requests from this caller are signed; the platform schemes also fix how messages are read and answered' })

export const ReplySchema = Type.Object({
  api_base: Type.Optional(Type.String({ format: 'uri', description: 'twilio, line, telegram, discord, slack (Web API): base URL of the platform API (defaults to the real one; tests point it at a local server)' })),
  token: Type.Optional(Type.String({ minLength: 1, description: 'line: channel access token; telegram: bot token; slack: bot token (optional, for Events API messages and threads)' })),
  account_sid: Type.Optional(Type.String({ pattern: '^AC[0-9a-fA-F]{32}$', description: 'twilio: account SID the Messages API is called with (auth token = the caller\'s first secret)' })),
  from: Type.Optional(Type.String({ minLength: 1, description: 'twilio: sender number (`+E164` or `whatsapp:+E164`); default: the number the user wrote to' })),
  webhook_url: Type.Optional(Type.String({ format: 'uri', description: 'teams: Workflows webhook URL that receives results which miss the 5 s answer window' })),
  application_id: Type.Optional(Type.String({ pattern: '^[0-9]{1,24}$', description: 'discord: application id the follow-up webhook is addressed to' })),
  response_type: Type.Optional(Type.Union([Type.Literal('ephemeral'), Type.Literal('in_channel')], { description: 'slack: who sees results sent to response_url (default ephemeral: only the user who asked)' }))
}, { additionalProperties: false, description: 'How results go back to the platform; which keys apply depends on the scheme' })

export const CallbackSchema = Type.Object({
  url: Type.String({ format: 'uri', description: 'Receives the finished run object as a POST' }),
  secret: Type.String({ description: 'Standard Webhooks secret (`whsec_` + base64) the POST is signed with' })
}, { additionalProperties: false, description: 'Where the finished run object is sent, signed with Standard Webhooks and retried with backoff' })

export const CallerSchema = Type.Object({
  scheme: SchemeName,
  secrets: Type.Array(Type.String(), { minItems: 1, maxItems: 8, description: 'Signing secrets, at least 16 bytes each; any one that verifies is accepted (rotation)' }),
  max_age: Seconds('Accepted timestamp skew in seconds, both directions; 0 (hmac-sha256 only) signs the raw body alone with no timestamp', 300),
  rate_limit: Type.Optional(RateLimitSchema),
  commands: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Names of the commands this caller may use' })),
  default_command: Type.Optional(Type.String({ minLength: 1, description: 'Command used for text without a leading slash; without it such text is refused' })),
  tools: Type.Optional(ToolsSchema),
  users: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 10000, description: 'Platform schemes: user ids allowed to use this caller (an empty list refuses to start; github also takes "*" for any sender)' })),
  reply: Type.Optional(ReplySchema),
  callback: Type.Optional(CallbackSchema),
  prompt: Type.Optional(Type.String({ minLength: 1, description: 'github: prompt template for a failed workflow or check suite; `{repository}`, `{branch}`, `{sha}`, `{workflow}`, `{url}` are filled in' })),
  agent: Type.Optional(CallerAgentSchema),
  sessions: Type.Optional(Type.Boolean({ default: true, description: 'Continue one agent session per user and thread (false: every run starts fresh)' })),
  permissions: Type.Optional(Type.Union([Type.Literal('ask'), Type.Literal('deny')], { default: 'ask', description: '`ask`: a tool neither allowed nor denied is asked about (a `permission` event, and a message with /allow and /deny on chat platforms); `deny`: it is refused without asking' })),
  steer: Type.Optional(Type.Boolean({ default: false, description: 'Chat platforms: a message in a thread whose run is still active goes into that run (steering) instead of waiting as the next turn' })),
  projects: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' }), { description: 'Projects this caller may pick with `@name` at the start of its text; the first is its default working directory' }))
}, { additionalProperties: false })

export const AuditSchema = Type.Object({
  prompts: Type.Optional(Type.Boolean({ default: false, description: 'Record prompts in the audit log verbatim (otherwise only their length and hash)' })),
  rotate_bytes: Type.Optional(Type.Integer({ minimum: 4096, default: 67108864, description: 'Size at which audit.jsonl is renamed to the next audit.NNNNNN.jsonl and a new file continues the same hash chain' }))
}, { additionalProperties: false, description: 'Audit log' })

export const RedisSchema = Type.Object({
  password: Type.Optional(Type.String({ minLength: 1, description: 'Password (AUTH) for the redis store, e.g. `${REDIS_PASSWORD}`; overrides one in the URL' })),
  prefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', default: 'hookgate:', description: 'Prefix of every key, so several hookgate deployments can share one Redis' })),
  lease: Type.Optional(Type.Integer({ minimum: 3, maximum: 3600, default: 15, description: 'Seconds a gateway or worker stays counted alive without a heartbeat; after it, its unfinished runs are marked interrupted by the others' })),
  timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 30000, default: 1000, description: 'Milliseconds a Redis connect or command may take before the request that needed it is refused (503)' }))
}, { additionalProperties: false, description: 'Redis, when `store` is a redis:// URL' })

export const LogSchema = Type.Object({
  level: Type.Optional(Type.Union([
    Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'),
    Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')
  ], { default: 'info', description: 'Log level' }))
}, { additionalProperties: false, description: 'Process log (JSON lines on stdout)' })

export const MetricsSchema = Type.Object({
  enabled: Type.Optional(Type.Boolean({ default: true, description: 'Serve Prometheus metrics at GET /metrics (false: 404)' })),
  token: Type.Optional(Type.String({ pattern: '^[\\x21-\\x7e]{16,512}$', description: 'Bearer token GET /metrics requires (`Authorization: Bearer <token>`, else 401); 16 to 512 printable ASCII characters. Without it the endpoint is open to whoever reaches the listener' }))
}, { additionalProperties: false, description: 'Prometheus metrics (docs/metrics.md)' })

export const ConfigSchema = Type.Object({
  server: Type.Optional({ ...ServerSchema, default: {} }),
  state_dir: Type.Optional(Type.String({ minLength: 1, default: '.hookgate', description: 'Directory for the database, the audit log and generated secrets, relative to the config file' })),
  store: Type.Optional(Type.Union([Type.Literal('sqlite'), Type.Literal('memory'), Type.String({ pattern: '^rediss?://[^\\s]+$' })], {
    default: 'sqlite',
    description: 'Where runs, their events, idempotency keys, sessions and pending confirmations live: `sqlite` (state_dir/hookgate.db, survives restarts), `memory` (lost on restart: retried deliveries may run twice) or `redis://host:6379` / `rediss://…` (shared by several gateways and workers; rate limits and the run queue too)'
  })),
  execution: Type.Optional(Type.Union([Type.Literal('local'), Type.Literal('workers')], {
    default: 'local',
    description: '`local`: this gateway runs the agents; `workers`: it only accepts, verifies, queues and streams, and `hookgate worker` processes (any machine that reaches Redis) run them. `workers` needs a redis store'
  })),
  redis: Type.Optional({ ...RedisSchema, default: {} }),
  rate_limit_fail_open: Type.Optional(Type.Boolean({
    default: false,
    description: 'With a redis store that cannot be reached, rate-limited requests are refused (503) unless this is true, in which case they pass unlimited'
  })),
  retention: Type.Optional(Type.Integer({
    minimum: 7,
    default: 14,
    description: 'Days finished runs and their events are kept; at least 7, because a retried delivery is recognised by its run for 7 days'
  })),
  admin_token: Type.Optional(Type.String({ description: 'Bearer token that may read, list and cancel every run; at least 16 bytes' })),
  shutdown_grace: Seconds('Seconds between SIGTERM and SIGKILL for agents at shutdown', 10),
  sessions: Type.Optional({ ...SessionsSchema, default: {} }),
  permissions: Type.Optional({ ...PermissionsSchema, default: {} }),
  projects: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' }), Type.String({ minLength: 1 }), { default: {}, additionalProperties: false, description: 'Working directories by name (relative to the config file); callers pick one with `@name`, and the agent never works outside them' })),
  agent: Type.Optional({ ...AgentSchema, default: {} }),
  limits: Type.Optional({ ...LimitsSchema, default: {} }),
  policy: Type.Optional({ ...PolicySchema, default: {} }),
  commands: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }), CommandSchema, { default: {}, additionalProperties: false, description: 'Slash commands by name' })),
  callers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), CallerSchema, { additionalProperties: false, description: 'Who may call, by the id used in /v1/hooks/{caller}' }),
  audit: Type.Optional({ ...AuditSchema, default: {} }),
  metrics: Type.Optional({ ...MetricsSchema, default: {} }),
  log: Type.Optional({ ...LogSchema, default: {} })
}, { additionalProperties: false })

/** The file as written (optional keys may be missing). */
export type ConfigInput = Static<typeof ConfigSchema>

/** The loaded configuration: defaults applied, paths resolved, frozen. */
export type Config = Readonly<Required<Omit<ConfigInput, 'admin_token'>> & Pick<ConfigInput, 'admin_token'>> & {
  readonly server: Required<Static<typeof ServerSchema>>
  readonly agent: AgentConfig
  readonly sessions: Required<Static<typeof SessionsSchema>>
  readonly permissions: Required<Static<typeof PermissionsSchema>>
  readonly limits: Required<Static<typeof LimitsSchema>>
  readonly policy: Required<Static<typeof PolicySchema>>
  readonly audit: Required<Static<typeof AuditSchema>>
  readonly log: Required<Static<typeof LogSchema>>
  readonly metrics: MetricsConfig
  readonly redis: RedisConfig
  /** Absolute path of the file the config came from, or null for the built-in quick-start config. */
  readonly source: string | null
  /** True when the agent is the built-in demo: every answer says so. */
  readonly demo: boolean
  /** Every value `${NAME}` substitution put in: each is a secret that must never leave the gateway. */
  readonly secret_values: readonly string[]
}
export type CallerConfig = Static<typeof CallerSchema>
export type ReplyConfig = Static<typeof ReplySchema>
export type CallbackConfig = Static<typeof CallbackSchema>
export type CommandConfig = Static<typeof CommandSchema>
export type ToolsConfig = Static<typeof ToolsSchema>
/** `idle_timeout` stays optional: absent means the profile's own default. */
export type AgentConfig = Required<Omit<Static<typeof AgentSchema>, 'idle_timeout'>> & Pick<Static<typeof AgentSchema>, 'idle_timeout'>
export type MetricsConfig = Required<Omit<Static<typeof MetricsSchema>, 'token'>> & Pick<Static<typeof MetricsSchema>, 'token'>
export type RedisConfig = Required<Omit<Static<typeof RedisSchema>, 'password'>> & Pick<Static<typeof RedisSchema>, 'password'>
export type CallerAgentConfig = Static<typeof CallerAgentSchema>
