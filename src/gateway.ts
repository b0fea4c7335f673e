// The services one gateway instance owns, built once from a loaded config: verifiers, policy,
// confirmations, the run registry and the audit log. Instance state only, so several gateways
// (e.g. in tests) never share anything.
import type { Config } from './config/schema.ts'
import type { Verifier } from './verify/verifier.ts'
import { createVerifier } from './verify/index.ts'
import { compilePolicy, type CompiledPolicy } from './policy/compiled-policy.ts'
import { ConfirmationStore } from './policy/confirmations.ts'
import { RunRegistry, type ProcessControl } from './runs/registry.ts'
import type { RunStore } from './store/run-store.ts'
import type { RunRequest } from './runs/run-state.ts'
import type { Run } from './schemas/run.ts'
import type { AuditSink } from './audit/audit-log.ts'
import type { Launcher } from './runner/launcher.ts'
import { createRunExecutor } from './runs/execute-run.ts'
import { RunControls } from './runs/run-controls.ts'
import type { RunState } from './runs/run-state.ts'
import { SessionService } from './sessions/session-service.ts'
import { sessionKey } from './sessions/session-key.ts'
import { agentFor } from './config/caller-agent.ts'
import { profileFor } from './runner/profiles/index.ts'
import { PermissionBroker, type PendingPermission } from './permissions/permission-broker.ts'
import { permissionText } from './delivery/permission-text.ts'
import { AdminToken } from './auth/bearer.ts'
import { createHash, randomBytes } from 'node:crypto'
import { RunLinks } from './auth/run-links.ts'
import { DeliveryService } from './delivery/delivery-service.ts'
import { createHttpOutbound } from './delivery/http-outbound.ts'
import type { Outbound } from './delivery/outbound.ts'
import { adapterFor } from './platforms/index.ts'
import { StreamTracker } from './sse/stream-tracker.ts'
import { EventEncoder } from './sse/event-encoder.ts'
import { restartOnlyChanges } from './config/reload-rules.ts'
import type { ConfigReader } from './config/reload.ts'
import { secretScrubberFor } from './secrets/configured-secrets.ts'
import { LogScrubber } from './secrets/log-scrubber.ts'
import { isShared, QUEUE_OWNER, type SharedStore } from './store/shared-store.ts'
import { ControlBus } from './cluster/control-bus.ts'
import { ClusterMember, newInstanceId } from './cluster/cluster-member.ts'
import { RunQueue } from './cluster/run-queue.ts'
import type { AnswerResult } from './permissions/permission-broker.ts'
import { GatewayMetrics } from './metrics/gateway-metrics.ts'

const DAY_MS = 24 * 3600 * 1000
const PRUNE_EVERY_MS = 3600 * 1000

export interface GatewayDeps {
  /** The environment the agent's allowlisted variables are taken from. */
  env: NodeJS.ProcessEnv
  launcher: Launcher
  audit: AuditSink
  store: RunStore
  /** Finds and kills what agents leave behind (absent: only process groups are killed). */
  processes?: ProcessControl
  /** Wall clock in ms; injected so tests control signature windows and expiries. */
  now: () => number
  /** Outbound HTTP for deliveries (platform APIs, callbacks); default: the undici client. */
  outbound?: Outbound
  /** Key of run links (state_dir/link.key in production); default: random, valid for this process. */
  linkKey?: Buffer
  /** Backoff of failed deliveries (tests shorten it). */
  deliveryRetry?: { firstMs?: number, maxMs?: number, attempts?: number }
  /** bubblewrap, found and probed at start-up (src/runner/sandbox); needed by agents with `sandbox: bwrap`. */
  bwrapPath?: string
  /** `worker`: a `hookgate worker` process, which executes queued runs and serves no HTTP. */
  role?: 'gateway' | 'worker'
  /** A worker that serves its metrics (`hookgate worker --metrics-port`): collect the process figures too. */
  servesMetrics?: boolean
  /** Reads the config again as at start, for reloads; absent: the config cannot be reloaded. */
  readConfig?: ConfigReader
}

/** What a process needs to cooperate with others through a shared store. */
export interface ClusterParts {
  store: SharedStore
  instance: string
  bus: ControlBus
  member: ClusterMember
  /** Gateways with `execution: workers`: where accepted runs go. */
  queue: RunQueue | null
}

export type PermissionAnswer = { allow: boolean, message?: string }
export type PermissionFrom = { via: 'http', runId: string } | { via: 'chat', caller: string, user: string }

export interface PendingConfirmation {
  request: RunRequest
  idempotencyKeys: string[]
}

/** What is compiled from a config, swapped as one on reload. */
interface Compiled {
  config: Config
  verifiers: ReadonlyMap<string, Verifier>
  policy: CompiledPolicy
  admin: AdminToken
  links: RunLinks
}

export class Gateway {
  readonly deps: GatewayDeps
  readonly confirmations: ConfirmationStore<PendingConfirmation>
  readonly registry: RunRegistry
  readonly streams = new StreamTracker()
  /** Every stream's frames, encoded once; told when a run's memory lets go of an event, so its frame is freed. */
  readonly encoder = new EventEncoder()
  /** Removes configured secrets from log lines; follows reloads (and keeps the secrets rotated out). */
  readonly logScrubber: LogScrubber
  #compiled: Compiled
  readonly #linkKey: Buffer
  readonly deliveries: DeliveryService
  readonly sessions: SessionService
  readonly permissions: PermissionBroker
  readonly controls = new RunControls()
  /** This instance's Prometheus registry and metrics (GET /metrics). */
  readonly metrics: GatewayMetrics
  /** Present when the store is shared with other processes (gateway replicas, workers). */
  readonly cluster: ClusterParts | null
  readonly #outbound: Outbound & { close?: () => Promise<void> }
  #pruneTimer: NodeJS.Timeout | undefined

  constructor (config: Config, deps: GatewayDeps) {
    this.deps = deps
    this.#linkKey = deps.linkKey ?? randomBytes(32)
    this.#compiled = this.#compile(config)
    this.logScrubber = new LogScrubber(secretScrubberFor(config, deps.env))
    this.metrics = new GatewayMetrics({
      queued: () => this.registry.queued,
      running: () => this.registry.running,
      sseClients: () => this.streams.size,
      limits: { concurrency: config.limits.concurrency, queue: config.limits.queue },
      ...(config.execution === 'workers' && deps.role !== 'worker' && isShared(deps.store)
        ? { sharedQueued: async () => await (this.cluster?.queue?.depth() ?? Promise.resolve(0)) }
        : {})
    }, { now: deps.now, processMetrics: config.metrics.enabled && (deps.role !== 'worker' || deps.servesMetrics === true) })
    this.confirmations = new ConfirmationStore<PendingConfirmation>(deps.store, { now: deps.now })
    this.#outbound = deps.outbound ?? createHttpOutbound()
    this.sessions = new SessionService({ store: deps.store, limits: config.sessions, now: deps.now })
    this.cluster = isShared(deps.store) ? this.#joinCluster(deps.store, deps.role ?? 'gateway') : null
    this.permissions = new PermissionBroker({
      timeoutMs: config.permissions.timeout * 1000,
      maxPerRun: config.permissions.max_per_run,
      now: deps.now,
      onAsked: (run, pending) => this.#asked(run, pending),
      onDecided: (pending, decision) => deps.audit.append({
        event: 'permission',
        caller: pending.caller,
        user: decision.by ?? pending.user,
        run: pending.runId,
        pid: pending.pid,
        tool: pending.tool,
        decision: decision.allow ? 'allow' : 'deny',
        via: decision.via
      }),
      onRefused: (pending, user, reason) => deps.audit.append({ event: 'permission', caller: pending.caller, user, run: pending.runId, pid: pending.pid, tool: pending.tool, decision: 'refused', reason })
    })
    this.registry = new RunRegistry({
      concurrency: config.limits.concurrency,
      queue: config.limits.queue,
      demo: config.demo,
      now: deps.now,
      store: deps.store,
      shutdownGraceMs: config.shutdown_grace * 1000,
      ...(this.cluster !== null ? { instance: this.cluster.instance } : {}),
      ...(this.cluster?.queue != null ? { remote: this.cluster.queue } : {}),
      stored: { maxEvents: 50_000, maxBytes: config.limits.run_log_bytes },
      ...(deps.processes !== undefined ? { processes: deps.processes } : {}),
      execute: createRunExecutor({
        config: () => this.config,
        env: deps.env,
        launcher: deps.launcher,
        sessions: this.sessions,
        permissions: this.permissions,
        controls: this.controls,
        ...(deps.bwrapPath !== undefined ? { bwrapPath: deps.bwrapPath } : {})
      }),
      hooks: {
        onEventDropped: (event) => { this.encoder.forget(event) },
        onAccepted: (run) => deps.audit.append({ ...who(run.snapshot()), event: 'accepted', command: run.request.command, ...this.#prompt(run.request.prompt), ...(run.request.via !== undefined ? { via: run.request.via } : {}) }),
        onAcceptedDurable: async () => { await deps.audit.synced?.() },
        onStarted: (run, pid) => {
          // The process exists whether or not its line can be written.
          this.metrics.runs.spawned(run)
          deps.audit.append({ ...who(run.snapshot()), event: 'started', pid })
        },
        onFinished: (run) => {
          const r = run.snapshot()
          const event = r.status === 'cancelled' ? 'cancelled' : r.status === 'interrupted' ? 'interrupted' : 'finished'
          deps.audit.append({ ...who(r), event, status: r.status, exit_code: r.exit_code, duration_ms: r.duration_ms, ...(r.error !== null ? { reason: r.error.slice(0, 200) } : {}) })
          // After the line: a hook that throws is called again, and must not count twice.
          this.metrics.runs.finished(r)
        },
        // A crash between the store's commit and the `accepted` line leaves a run the log never
        // accepted: the line is written now, marked as recovered, so both count the same runs.
        onRecovering: (runs) => {
          const ids = new Set(runs.map((r) => r.run.id))
          const since = Math.min(...runs.map((r) => Date.parse(r.run.created_at)))
          const logged = deps.audit.findAccepted?.(ids, since) ?? ids
          for (const { run, request } of runs) {
            if (!logged.has(run.id)) deps.audit.append({ ...who(run), event: 'accepted', command: request.command, ...this.#prompt(request.prompt), reason: 'recovered' })
          }
        },
        onRecovered: (r, reason, killed) => {
          deps.audit.append({ ...who(r), event: 'interrupted', status: r.status, exit_code: null, duration_ms: r.duration_ms, reason, leftover_processes: killed })
          this.metrics.runs.recovered(r)
        }
      }
    })
    this.deliveries = new DeliveryService({
      config,
      store: deps.store,
      audit: deps.audit,
      http: this.#outbound,
      now: deps.now,
      getRun: (id) => this.registry.get(id),
      adapterFor,
      linkFor: (id) => this.links.linkFor(id),
      ...(this.cluster !== null ? { holds: (id: string) => this.registry.holds(id) } : {}),
      ...(deps.deliveryRetry !== undefined ? { retry: deps.deliveryRetry } : {}),
      onAttempt: (attempt) => this.metrics.delivery(attempt)
    })
  }

  /** The config new requests and runs use; runs already executing keep the one they started with. */
  get config (): Config { return this.#compiled.config }
  get verifiers (): ReadonlyMap<string, Verifier> { return this.#compiled.verifiers }
  get policy (): CompiledPolicy { return this.#compiled.policy }
  get admin (): AdminToken { return this.#compiled.admin }
  get links (): RunLinks { return this.#compiled.links }

  /**
   * Applies a new config, all of it at once, for what arrives from now on (a request already being
   * handled finishes with the old one). Refused, changing nothing, when it changes what only a
   * restart can (reload-rules.ts): the paths are returned.
   */
  reload (next: Config): { applied: boolean, restartOnly: string[] } {
    const restartOnly = restartOnlyChanges(this.config, next, this.deps.bwrapPath !== undefined)
    if (restartOnly.length > 0) return { applied: false, restartOnly }
    const compiled = this.#compile(next)
    this.#compiled = compiled
    this.registry.setLimits({ concurrency: next.limits.concurrency, queue: next.limits.queue })
    this.deliveries.reconfigure(next)
    this.logScrubber.add(secretScrubberFor(next, this.deps.env))
    return { applied: true, restartOnly: [] }
  }

  #compile (config: Config): Compiled {
    return {
      config,
      verifiers: new Map(Object.entries(config.callers).map(([id, c]) => [id, createVerifier(c.scheme)])),
      policy: compilePolicy(config),
      admin: new AdminToken(config.admin_token),
      links: new RunLinks(this.#linkKey, config.server.public_url)
    }
  }

  /**
   * Before the first request: runs a crash left queued or running are interrupted and their leftover
   * processes killed, deliveries a previous process owed are resumed (so a platform user hears of a
   * run the crash interrupted), then old runs are pruned, now and every hour.
   */
  async start (): Promise<void> {
    // With a shared store the lease check ends dead members' runs, once this process is settled.
    if (this.cluster === null) await this.registry.recover()
    else this.cluster.member.start()
    await this.deliveries.resume()
    await this.prune()
    this.#pruneTimer = setInterval(() => { void this.prune().catch(() => {}) }, PRUNE_EVERY_MS)
    this.#pruneTimer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.#pruneTimer)
    this.metrics.close()
    await this.deliveries.stop()
    await this.#outbound.close?.()
    if (this.cluster !== null) {
      await this.cluster.member.stop()
      await this.cluster.bus.close()
      await this.cluster.queue?.close()
    }
  }

  /** Ends the runs of members whose lease lapsed; their results are delivered from here. */
  async reap (): Promise<void> {
    for (const run of await this.registry.recover()) await this.deliveries.resumeRun(run.id).catch(() => {})
  }

  /**
   * Cancels a run wherever it is: here, waiting in the shared queue (ended right here), or on the
   * process holding it (asked over the control bus). False when it is already final.
   * @throws OverloadedError-like Error when the holder cannot be reached now.
   */
  async cancelRun (run: RunState, reason: string): Promise<boolean> {
    if (this.registry.cancel(run.id, reason)) return true
    if (this.cluster === null || this.registry.holds(run.id)) return false
    const { store, bus, queue } = this.cluster
    const owner = await store.ownerOf(run.id)
    if (owner === null) return false
    if (owner === QUEUE_OWNER) {
      const now = this.deps.now()
      const cancelled: Run = { ...run.snapshot(), status: 'cancelled', finished_at: new Date(now).toISOString(), error: reason }
      if (!(await store.finishIfUnfinished(cancelled, { event: 'result', data: cancelled }))) return this.cancelRun(run, reason)
      await queue?.remove(run.id)
      run.refresh(cancelled)
      this.deps.audit.append({ caller: cancelled.caller, user: cancelled.user, run: cancelled.id, event: 'cancelled', status: 'cancelled', exit_code: null, duration_ms: null, reason: reason.slice(0, 200) })
      this.metrics.runs.finished(cancelled)
      await this.deliveries.resumeRun(run.id).catch(() => {})
      return true
    }
    const answer = await bus.request({ op: 'cancel', to: owner, args: { runId: run.id, reason } })
    if (answer === null) throw new Error(`the process running ${run.id} did not answer`)
    return answer === true
  }

  /** A steering message into the run's live agent, wherever it runs: true when it went in. */
  async steerLive (runId: string, text: string): Promise<boolean> {
    if (this.controls.steer(runId, text)) return true
    if (this.cluster === null || this.registry.holds(runId)) return false
    const owner = await this.cluster.store.ownerOf(runId).catch(() => null)
    if (owner === null || owner === QUEUE_OWNER) return false
    return (await this.cluster.bus.request({ op: 'steer', to: owner, args: { runId, text } })) === true
  }

  /** Answers a permission question, wherever the run asking it executes. */
  async answerPermission (pid: string, answer: PermissionAnswer, from: PermissionFrom): Promise<AnswerResult> {
    const local = this.permissions.answer(pid, answer, from)
    if (local.kind !== 'not_found' || this.cluster === null) return local
    if (from.via === 'http' && this.registry.holds(from.runId)) return local
    const remote = await this.cluster.bus.request({ op: 'permission', args: { pid, answer, from } })
    return remote === null ? local : remote as AnswerResult
  }

  /** Queued and running runs of a caller (optionally one user), here and, with a shared store, anywhere. */
  async activeRuns (caller: string, user?: string | null): Promise<Run[]> {
    const here = this.registry.active(caller, user).map((r) => r.snapshot())
    if (this.cluster === null) return here
    const stored = [
      ...await this.registry.list({ caller, status: 'running', limit: 50 }),
      ...await this.registry.list({ caller, status: 'queued', limit: 50 })
    ].filter((r) => user === undefined || r.user === user)
    const ids = new Set(here.map((r) => r.id))
    return [...here, ...stored.filter((r) => !ids.has(r.id))].sort((a, b) => a.created_at.localeCompare(b.created_at))
  }

  /**
   * Shared store: a heartbeat and lease check, control messages for the runs this process holds,
   * and for a gateway with `execution: workers`, the run queue.
   */
  #joinCluster (store: SharedStore, role: 'gateway' | 'worker'): ClusterParts {
    const instance = newInstanceId(role)
    const timeoutMs = this.config.redis.timeout_ms
    const bus = new ControlBus({ client: store.client, prefix: store.prefix, instance, timeoutMs: timeoutMs + 500 })
    bus.handle('cancel', ({ runId, reason }) => this.registry.holds(String(runId)) ? this.registry.cancel(String(runId), String(reason)) : undefined)
    bus.handle('steer', ({ runId, text }) => this.registry.holds(String(runId)) ? this.controls.steer(String(runId), String(text)) : undefined)
    bus.handle('permission', ({ pid, answer, from }) => {
      const result = this.permissions.answer(String(pid), answer as PermissionAnswer, from as PermissionFrom)
      return result.kind === 'not_found' ? undefined : result
    })
    const member = new ClusterMember(instance, {
      store,
      client: store.client,
      role,
      leaseMs: this.config.redis.lease * 1000,
      running: () => this.registry.running,
      reap: () => this.reap(),
      now: this.deps.now
    })
    const queue = role === 'gateway' && this.config.execution === 'workers'
      ? new RunQueue({ connection: store.connectionOptions(), prefix: `${store.prefix}bull`, timeoutMs })
      : null
    return { store, instance, bus, member, queue }
  }

  /** Deletes runs finished more than `retention` days ago, and expired keys and confirmations. */
  async prune (): Promise<void> {
    const now = this.deps.now()
    await this.registry.store.prune(now - this.config.retention * DAY_MS, now)
  }

  /**
   * A permission question: on the run's stream, in the audit log, and to the chat the run came from
   * (with buttons where the platform has them).
   */
  #asked (run: RunState, pending: PendingPermission): void {
    const expiresAt = new Date(pending.expiresAt).toISOString()
    run.recordPermission({ pid: pending.pid, tool: pending.tool, summary: pending.summary, expires_at: expiresAt })
    this.deps.audit.append({ event: 'permission', caller: pending.caller, user: pending.user, run: pending.runId, pid: pending.pid, tool: pending.tool, decision: 'asked' })
    const reply = run.request.reply
    if (reply === undefined) return
    const ask = { pid: pending.pid, runId: pending.runId, tool: pending.tool, summary: pending.summary, expiresAt }
    // A question the chat never saw cannot be answered there: deny now rather than at expiry.
    this.deliveries.sendPermission(pending.caller, adapterFor(reply.scheme), reply.target, { ...ask, text: permissionText(ask) }, pending.user,
      () => this.permissions.fail(pending.pid, 'The permission request could not be delivered to the chat.'))
  }

  /**
   * The conversation a message belongs to, or null when its runs are one-shot: the caller turned
   * sessions off, its agent has none (`command`, `demo`), or the message names neither user nor thread.
   * Runs of one conversation never overlap, so a one-shot caller must not get a key.
   */
  conversationKey (parts: { caller: string, user: string | null, thread: string | null, project: string | null }): string | null {
    if (this.config.callers[parts.caller]?.sessions === false) return null
    if (profileFor(agentFor(this.config, parts.caller).profile).sessions === 'none') return null
    return sessionKey({ ...parts, project: parts.project ?? this.config.callers[parts.caller]?.projects?.[0] ?? null })
  }

  /** Prompts are audited as a length and a hash unless the config asks for them verbatim. */
  auditedPrompt (prompt: string): Record<string, unknown> {
    return this.#prompt(prompt)
  }

  #prompt (prompt: string): Record<string, unknown> {
    return this.config.audit.prompts
      ? { prompt }
      : { prompt_chars: prompt.length, prompt_sha256: createHash('sha256').update(prompt).digest('hex') }
  }
}

function who (run: Run): { caller: string, user: string | null, run: string } {
  return { caller: run.caller, user: run.user, run: run.id }
}
