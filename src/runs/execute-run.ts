// How one accepted run is executed on this machine: its agent (the caller's), its working directory
// (its project), its session (continued or new), its state directory, its sandbox, and the permission
// questions and steering messages that reach it while it runs. The registry decides when; this decides how.
// Everything the agent says passes through the secret scrubber here, where it enters the gateway:
// its events, its permission questions and its outcome, so the event stream, the stored run, chat
// replies, callbacks and the audit log only ever see scrubbed text.
import { mkdirSync } from 'node:fs'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { join } from 'node:path'
import { agentFor } from '../config/caller-agent.ts'
import type { AgentConfig, Config } from '../config/schema.ts'
import type { PermissionBroker } from '../permissions/permission-broker.ts'
import type { AgentOutcome } from '../runner/agent-event.ts'
import type { Launcher } from '../runner/launcher.ts'
import { profileFor } from '../runner/profiles/index.ts'
import { runAgent } from '../runner/run-agent.ts'
import { secretScrubberFor } from '../secrets/configured-secrets.ts'
import { EventScrubber } from '../secrets/event-scrubber.ts'
import type { SecretScrubber } from '../secrets/secret-scrubber.ts'
import type { SessionService } from '../sessions/session-service.ts'
import type { ExecutorContext } from './registry.ts'
import type { RunControls } from './run-controls.ts'
import type { RunState } from './run-state.ts'

export interface RunExecutorDeps {
  /** The config as it is when a run starts (a reload changes it for runs that start later). */
  config: () => Config
  env: NodeJS.ProcessEnv
  launcher: Launcher
  sessions: SessionService
  permissions: PermissionBroker
  controls: RunControls
  /** bubblewrap, found and probed at start-up; absent: agents with `sandbox: bwrap` fail to start. */
  bwrapPath?: string
}

export function createRunExecutor (deps: RunExecutorDeps) {
  let scrubbing: { config: Config, scrubber: SecretScrubber } | undefined
  const scrubberFor = (config: Config): SecretScrubber => {
    if (scrubbing?.config !== config) scrubbing = { config, scrubber: secretScrubberFor(config, deps.env) }
    return scrubbing.scrubber
  }
  return async (run: RunState, ctx: ExecutorContext): Promise<AgentOutcome> => {
    const { request } = run
    const config = deps.config()
    const scrubber = scrubberFor(config)
    const base = agentFor(config, request.caller)
    const agent: AgentConfig = { ...base, cwd: workingDirectory(config, request.caller, request.project ?? null) ?? base.cwd }
    const profile = profileFor(agent.profile)
    const caller = config.callers[request.caller]
    // Decided at acceptance (Gateway.conversationKey) and stored with the run.
    const key = request.sessionKey ?? null
    const session = await deps.sessions.plan(key, profile)
    const events = new EventScrubber(scrubber, ctx.onEvent)
    try {
      const outcome = await runAgent({
        runId: run.id,
        prompt: request.prompt,
        agent,
        tools: request.tools,
        session,
        homeDir: agentHome(config, agent, request.caller),
        sourceEnv: deps.env,
        launcher: deps.launcher,
        signal: ctx.signal,
        onEvent: (event) => events.push(event),
        onSpawn: ctx.onSpawn,
        graceMs: ctx.graceMs,
        // The question asked in chats and streams is scrubbed; the agent's answer is built from its own.
        askPermission: (question) => deps.permissions.ask(run, { ...question, tool: scrubber.scrub(question.tool), input: scrubber.scrubDeep(question.input) }, caller?.permissions ?? 'ask'),
        onControl: (control) => deps.controls.attach(run.id, control),
        ...(deps.bwrapPath !== undefined ? { sandbox: { bwrapPath: deps.bwrapPath, hidden: hiddenFromAgent(config) } } : {})
      })
      // Recorded before the run is released, so the conversation's next run resumes this session.
      const startedAt = Date.parse(run.snapshot().started_at ?? new Date(0).toISOString())
      await deps.sessions.record(key, request.caller, profile, session, outcome.session, startedAt).catch(() => {})
      return await scrubbedOutcome(scrubber, outcome)
    } finally {
      events.flush()
      deps.controls.detach(run.id)
      deps.permissions.endRun(run.id)
    }
  }
}

/**
 * Output cut at `max_output_bytes` may end inside a secret, and the stderr quoted in an error starts
 * wherever its last 2 KiB start: the parts of a secret at such cuts are redacted too. The output is
 * searched in steps between which other runs' events and requests are served.
 */
async function scrubbedOutcome (scrubber: SecretScrubber, outcome: AgentOutcome): Promise<AgentOutcome> {
  return {
    ...outcome,
    output: outcome.truncated ? await scrubber.scrubCutEndInSteps(outcome.output, nextTurn) : await scrubber.scrubInSteps(outcome.output, nextTurn),
    error: outcome.error === null ? null : scrubber.scrubCutLineStarts(outcome.error),
    ...(outcome.notice !== undefined ? { notice: scrubber.scrub(outcome.notice) } : {})
  }
}

/** What a sandboxed agent must not read: the gateway's database, audit log and secrets, and its config. */
function hiddenFromAgent (config: Config): string[] {
  return [config.state_dir, ...(config.source === null ? [] : [config.source])]
}

/** The project's directory, the caller's first project's, or null for `agent.cwd`. */
export function workingDirectory (config: Config, callerId: string, project: string | null): string | null {
  const name = project ?? config.callers[callerId]?.projects?.[0] ?? null
  if (name === null) return null
  return Object.hasOwn(config.projects, name) ? config.projects[name] as string : null
}

/**
 * `agent.state: per_caller`: state_dir/agents/<profile>/<caller>, private to the gateway's user, so
 * concurrent callers never share the CLI's settings, transcripts or sessions. Null: the user's own home.
 */
export function agentHome (config: Config, agent: AgentConfig, callerId: string): string | null {
  if (agent.state !== 'per_caller' || agent.profile === 'command' || agent.profile === 'demo') return null
  const dir = join(config.state_dir, 'agents', agent.profile, callerId)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  return dir
}
