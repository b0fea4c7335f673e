// The services one gateway instance owns, built once from a loaded config: verifiers, policy,
// confirmations, the run registry and the audit log. Instance state only, so several gateways
// (e.g. in tests) never share anything.
import type { Config } from './config/schema.ts'
import type { Verifier } from './verify/verifier.ts'
import { createVerifier } from './verify/index.ts'
import { compilePolicy, type CompiledPolicy } from './policy/compiled-policy.ts'
import { ConfirmationStore } from './policy/confirmations.ts'
import { RunRegistry } from './runs/registry.ts'
import type { RunRequest, RunState } from './runs/run-state.ts'
import type { AuditSink } from './audit/audit-log.ts'
import type { Launcher } from './runner/launcher.ts'
import { runAgent } from './runner/run-agent.ts'
import { AdminToken } from './auth/bearer.ts'
import { createHash } from 'node:crypto'

export interface GatewayDeps {
  /** The environment the agent's allowlisted variables are taken from. */
  env: NodeJS.ProcessEnv
  launcher: Launcher
  audit: AuditSink
  /** Wall clock in ms; injected so tests control signature windows and expiries. */
  now: () => number
}

export interface PendingConfirmation {
  request: RunRequest
  idempotencyKeys: string[]
}

export class Gateway {
  readonly config: Config
  readonly deps: GatewayDeps
  readonly verifiers: ReadonlyMap<string, Verifier>
  readonly policy: CompiledPolicy
  readonly confirmations: ConfirmationStore<PendingConfirmation>
  readonly registry: RunRegistry
  readonly admin: AdminToken

  constructor (config: Config, deps: GatewayDeps) {
    this.config = config
    this.deps = deps
    this.verifiers = new Map(Object.entries(config.callers).map(([id, c]) => [id, createVerifier(c.scheme)]))
    this.policy = compilePolicy(config)
    this.confirmations = new ConfirmationStore<PendingConfirmation>({ now: deps.now })
    this.admin = new AdminToken(config.admin_token)
    this.registry = new RunRegistry({
      concurrency: config.limits.concurrency,
      queue: config.limits.queue,
      demo: config.demo,
      now: deps.now,
      execute: (run, ctx) => runAgent({
        prompt: run.request.prompt,
        agent: config.agent,
        tools: run.request.tools,
        sourceEnv: deps.env,
        launcher: deps.launcher,
        signal: ctx.signal,
        onEvent: ctx.onEvent,
        onSpawn: ctx.onSpawn
      }),
      hooks: {
        onAccepted: (run) => deps.audit.append({ ...this.#who(run), event: 'accepted', command: run.request.command, ...this.#prompt(run) }),
        onStarted: (run, pid) => deps.audit.append({ ...this.#who(run), event: 'started', pid }),
        onFinished: (run) => {
          const r = run.snapshot()
          const event = r.status === 'cancelled' ? 'cancelled' : r.status === 'interrupted' ? 'interrupted' : 'finished'
          deps.audit.append({ ...this.#who(run), event, status: r.status, exit_code: r.exit_code, duration_ms: r.duration_ms, ...(r.error !== null ? { reason: r.error.slice(0, 200) } : {}) })
        }
      }
    })
  }

  #who (run: RunState): { caller: string, user: string | null, run: string } {
    return { caller: run.request.caller, user: run.request.user, run: run.id }
  }

  /** Prompts are audited as a length and a hash unless the config asks for them verbatim. */
  #prompt (run: RunState): Record<string, unknown> {
    const prompt = run.request.prompt
    return this.config.audit.prompts
      ? { prompt }
      : { prompt_chars: prompt.length, prompt_sha256: createHash('sha256').update(prompt).digest('hex') }
  }
}
