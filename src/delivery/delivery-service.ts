// Sends every finished run's result where it is owed: the platform's own reply (a Slack
// response_url, a Telegram chat, …) and/or the caller's signed callback. What is owed is recorded
// with the run when it is accepted (store `deliveries`), so nothing is lost to a crash: a restart
// resumes every pending delivery from the progress it had saved. Failures that can pass (429, 5xx,
// timeouts) are retried with backoff for about 40 minutes; every failed attempt and the final
// outcome are audited. Each delivery runs on its own promise chain: a slow platform never holds
// up another run's delivery, or any request.
import type { AuditSink } from '../audit/audit-log.ts'
import type { CallerConfig, Config } from '../config/schema.ts'
import type { DeliveryContext, DeliveryProgress, PermissionAsk, PlatformAdapter, ReplyTarget } from '../platforms/adapter.ts'
import type { RunState } from '../runs/run-state.ts'
import type { Run } from '../schemas/run.ts'
import { StoreUnavailableError, type DeliveryChannel, type RunStore, type StoredDelivery } from '../store/run-store.ts'
import { FINAL_STATUSES } from '../schemas/run.ts'
import { sendCallback } from './callback.ts'
import { DeliveryError, type Outbound } from './outbound.ts'
import { planParts } from './plan-parts.ts'
import { progressText, resultText } from './result-text.ts'
import { splitMessage } from './split-message.ts'

export interface DeliveryServiceOptions {
  config: Config
  store: RunStore
  audit: AuditSink
  http: Outbound
  now: () => number
  /** The run as it is now: live if this process runs it, else as stored. */
  getRun: (id: string) => Promise<RunState | null>
  adapterFor: (scheme: NonNullable<RunState['request']['reply']>['scheme']) => PlatformAdapter
  /** A link where the whole output can be read, for results too long for the chat; null if none. */
  linkFor?: (runId: string) => string | null
  retry?: { firstMs?: number, maxMs?: number, attempts?: number }
  log?: { warn (obj: object, msg: string): void }
  /**
   * Whether this process executes the run (default: always). With a shared store, the process that
   * ends a run delivers its result; the others leave it alone.
   */
  holds?: (runId: string) => boolean
  /** Every attempt to send, with its result (metrics). */
  onAttempt?: (attempt: DeliveryAttempt) => void
}

/** One attempt to send something to a platform API or a callback URL. */
export interface DeliveryAttempt {
  /** The platform's scheme (`slack`, `telegram`, …), or `callback` for a caller's callback URL. */
  platform: string
  /** `reply`, `callback`, `progress` (a live view), `notice` or `permission`. */
  channel: string
  /** `delivered`; `retrying`: failed, to be tried again; `failed`: failed, given up. */
  result: 'delivered' | 'retrying' | 'failed'
}

const FIRST_PROGRESS_MS = 1000

export class DeliveryService {
  #o: DeliveryServiceOptions
  readonly #firstMs: number
  readonly #maxMs: number
  readonly #attempts: number
  /** `run:channel` of deliveries being attempted now, or answered by the webhook itself. */
  readonly #busy = new Set<string>()
  readonly #answered = new Set<string>()
  readonly #timers = new Map<string, NodeJS.Timeout>()
  readonly #inflight = new Set<Promise<unknown>>()
  /** Per run, the tail of its progress → delivery chain: a live edit never races the final one. */
  readonly #chains = new Map<string, Promise<unknown>>()
  #stopped = false

  constructor (opts: DeliveryServiceOptions) {
    this.#o = opts
    this.#firstMs = opts.retry?.firstMs ?? 2000
    this.#maxMs = opts.retry?.maxMs ?? 10 * 60_000
    this.#attempts = opts.retry?.attempts ?? 12
  }

  /** A reloaded config: reply tokens and callbacks as they are now, for every attempt from now on. */
  reconfigure (config: DeliveryServiceOptions['config']): void {
    this.#o = { ...this.#o, config }
  }

  /** The channels a run of this caller owes, given whether it came from a platform. */
  channelsFor (caller: CallerConfig, fromPlatform: boolean): DeliveryChannel[] {
    return [...(fromPlatform && caller.scheme !== 'github' ? ['reply' as const] : []), ...(caller.callback !== undefined ? ['callback' as const] : [])]
  }

  /** After a run is accepted: its live view (where the platform has one), then its deliveries once final. */
  track (run: RunState, channels: readonly DeliveryChannel[]): void {
    if (channels.length === 0 || this.#stopped || this.#o.holds?.(run.id) === false) return
    if (channels.includes('reply')) this.#startProgress(run)
    this.#spawn(run.finished.then(() => {
      for (const channel of channels) this.#schedule(run.id, channel, 0)
    }))
  }

  /**
   * The webhook answer itself carries the result (Twilio TwiML, Teams activity): true when no delivery
   * has begun, and then none will. The caller then records it with `recordAnswered`.
   */
  claimForAnswer (runId: string): boolean {
    const key = `${runId}:reply`
    if (this.#busy.has(key) || this.#answered.has(key)) return false
    this.#answered.add(key)
    return true
  }

  /** `sent` of `total` parts went in the answer; the rest, if any, is delivered as usual. */
  async recordAnswered (runId: string, sent: number, total: number): Promise<void> {
    const key = `${runId}:reply`
    const d = await this.#o.store.getDelivery(runId, 'reply').catch(() => null)
    if (d === null || d.state !== 'pending') return
    const done = sent >= total
    try {
      await this.#o.store.updateDelivery({ ...d, state: done ? 'done' : 'pending', progress: { ...d.progress, sent, answered: sent }, error: null })
    } catch {
      // Still pending in the store: keep the claim, so this process does not send it a second time.
      return
    }
    this.#answered.delete(key)
    if (!done) {
      this.#schedule(runId, 'reply', 0)
      return
    }
    const run = (await this.#o.getRun(runId))?.snapshot()
    this.#audit(run, runId, 'reply', 'delivered', d.attempts + 1, 'in the webhook answer')
  }

  /** At start: every delivery a previous process owed and did not finish. */
  async resume (): Promise<number> {
    const pending = await this.#o.store.pendingDeliveries()
    for (const d of pending) {
      const run = await this.#o.getRun(d.runId)
      if (run === null) continue
      if (run.isFinal) this.#schedule(d.runId, d.channel, Math.max(0, d.nextAt - this.#o.now()))
      else if (this.#o.holds?.(d.runId) !== false) this.#spawn(run.finished.then(() => this.#schedule(d.runId, d.channel, 0)))
    }
    return pending.length
  }

  /** The pending deliveries of one final run that another process was to send (it stopped). */
  async resumeRun (runId: string): Promise<void> {
    for (const channel of ['reply', 'callback'] as const) {
      const d = await this.#o.store.getDelivery(runId, channel)
      if (d !== null && d.state === 'pending') this.#schedule(runId, channel, 0)
    }
  }

  /**
   * A short answer (a built-in's, a refusal) on a platform whose webhook answer is not shown to the
   * user (LINE): sent with the platform's API, retried a few times, audited if it cannot be sent.
   */
  sendNotice (callerId: string, adapter: PlatformAdapter, target: ReplyTarget, text: string, user: string | null): void {
    const parts = splitMessage(text, adapter.limits).slice(0, adapter.limits.maxMessages)
    let progress: DeliveryProgress = { sent: 0 }
    this.#sendOnce(callerId, user, adapter.scheme, 'notice', async (p) => { progress = p }, (ctx) => adapter.deliver(ctx, target, parts, progress))
  }

  /**
   * A permission question to the chat a run came from: with buttons where the adapter
   * has them, else as text. Not stored: the question expires within minutes, and an unanswered one
   * is a deny, so a gateway restart (which interrupts the run anyway) loses nothing.
   */
  sendPermission (callerId: string, adapter: PlatformAdapter, target: ReplyTarget, ask: PermissionAsk, user: string | null, onFailed: () => void): void {
    if (adapter.askPermission !== undefined) {
      const askPermission = adapter.askPermission.bind(adapter)
      this.#sendOnce(callerId, user, adapter.scheme, 'permission', async () => {}, (ctx) => askPermission(ctx, target, ask), onFailed)
    } else {
      const parts = splitMessage(ask.text, adapter.limits).slice(0, adapter.limits.maxMessages)
      let progress: DeliveryProgress = { sent: 0 }
      this.#sendOnce(callerId, user, adapter.scheme, 'permission', async (p) => { progress = p }, (ctx) => adapter.deliver(ctx, target, parts, progress), onFailed)
    }
  }

  /** A few quick attempts for a message that is not worth keeping across restarts. */
  #sendOnce (callerId: string, user: string | null, platform: string, channel: string, save: (p: DeliveryProgress) => Promise<void>, send: (ctx: DeliveryContext) => Promise<void>, onFailed?: () => void): void {
    const caller = this.#o.config.callers[callerId]
    if (caller === undefined || this.#stopped) return
    const ctx = this.#context(callerId, caller, `${channel}-${this.#o.now()}-${Math.random().toString(36).slice(2)}`, save)
    this.#spawn((async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await send(ctx)
          this.#attempted(platform, channel, 'delivered')
          return
        } catch (error) {
          const retry = error instanceof DeliveryError && error.retryable && attempt < 3 && !this.#stopped
          this.#attempted(platform, channel, retry ? 'retrying' : 'failed')
          if (!retry) {
            this.#o.audit.append({ event: 'delivery', caller: callerId, user, channel, status: 'failed', attempts: attempt, reason: describe(error) })
            try { onFailed?.() } catch {}
            return
          }
          await sleep(Math.max(this.#firstMs * attempt, (error as DeliveryError).retryAfterMs ?? 0))
        }
      }
    })())
  }

  /** Stops retrying (pending deliveries stay pending in the store) and waits briefly for attempts in flight. */
  async stop (waitMs = 2000): Promise<void> {
    this.#stopped = true
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.allSettled([...this.#inflight]), new Promise((resolve) => { timer = setTimeout(resolve, waitMs) })])
    clearTimeout(timer)
  }

  #schedule (runId: string, channel: DeliveryChannel, delayMs: number): void {
    if (this.#stopped) return
    const key = `${runId}:${channel}`
    clearTimeout(this.#timers.get(key))
    const timer = setTimeout(() => {
      this.#timers.delete(key)
      this.#chain(runId, () => this.#attempt(runId, channel))
    }, delayMs)
    timer.unref()
    this.#timers.set(key, timer)
  }

  async #attempt (runId: string, channel: DeliveryChannel): Promise<void> {
    const key = `${runId}:${channel}`
    if (this.#busy.has(key) || this.#answered.has(key) || this.#stopped) return
    this.#busy.add(key)
    let d: StoredDelivery | null = null
    let run: Run | undefined
    let platform = 'none'
    try {
      d = await this.#o.store.getDelivery(runId, channel)
      if (d === null || d.state !== 'pending') return
      const state = await this.#o.getRun(runId)
      if (state === null) return
      platform = channel === 'callback' ? 'callback' : state.request.reply?.scheme ?? 'none'
      run = state.snapshot()
      if (!FINAL_STATUSES.has(run.status)) return
      const caller = this.#o.config.callers[run.caller]
      if (caller === undefined) throw new DeliveryError(`caller ${run.caller} is no longer configured`, { retryable: false })
      let progress = d.progress
      const current = d
      const save = async (p: DeliveryProgress): Promise<void> => {
        progress = { ...p }
        await this.#o.store.updateDelivery({ ...current, progress })
      }
      if (channel === 'callback') {
        if (caller.callback === undefined) throw new DeliveryError('the caller no longer has a callback', { retryable: false })
        await sendCallback(this.#o.http, caller.callback, run, { deliveryId: `${runId}-callback`, now: this.#o.now })
      } else {
        const reply = state.request.reply
        if (reply === undefined) throw new DeliveryError('the run has no reply target', { retryable: false })
        const adapter = this.#o.adapterFor(reply.scheme)
        const parts = planParts(resultText(run), adapter.limits, { link: this.#o.linkFor?.(runId) ?? null, runId })
        await adapter.deliver(this.#context(run.caller, caller, `${runId}.reply`, save), reply.target, parts, progress)
      }
      await this.#o.store.updateDelivery({ ...d, state: 'done', attempts: d.attempts + 1, progress, error: null })
      this.#attempted(platform, channel, 'delivered')
      this.#audit(run, runId, channel, 'delivered', d.attempts + 1)
    } catch (error) {
      await this.#failed(runId, channel, d, run, error, platform)
    } finally {
      this.#busy.delete(key)
    }
  }

  async #failed (runId: string, channel: DeliveryChannel, d: StoredDelivery | null, run: Run | undefined, error: unknown, platform: string): Promise<void> {
    if (d === null || run === undefined || error instanceof StoreUnavailableError) {
      // The state could not be read or written: try again shortly, from the progress last saved (a
      // part sent but not yet recorded goes out again: at least once, never lost).
      this.#o.log?.warn({ run: runId, channel, err: describe(error) }, 'delivery postponed: state unavailable')
      this.#schedule(runId, channel, this.#firstMs)
      return
    }
    const attempts = d.attempts + 1
    const latest = await this.#o.store.getDelivery(runId, channel).catch(() => null) ?? d
    const retryable = error instanceof DeliveryError && error.retryable && attempts < this.#attempts
    const reason = describe(error)
    if (retryable) {
      const backoff = Math.min(this.#maxMs, this.#firstMs * 2 ** (attempts - 1))
      const wait = Math.max(backoff, (error as DeliveryError).retryAfterMs ?? 0)
      try {
        await this.#o.store.updateDelivery({ ...latest, attempts, nextAt: this.#o.now() + wait, error: reason })
      } catch {}
      this.#attempted(platform, channel, 'retrying')
      this.#audit(run, runId, channel, 'retrying', attempts, reason)
      this.#schedule(runId, channel, wait)
      return
    }
    try {
      await this.#o.store.updateDelivery({ ...latest, state: 'failed', attempts, error: reason })
    } catch {
      // Left pending: the next start tries again, which beats forgetting it.
    }
    this.#attempted(platform, channel, 'failed')
    this.#audit(run, runId, channel, 'failed', attempts, reason)
    this.#o.log?.warn({ run: runId, channel, attempts, err: reason }, 'delivery failed')
  }

  /**
   * Live view: at most every `progressIntervalMs`, what the agent has written so far. One update at
   * a time: a tick while the last one is still out (a slow or throttling platform) is skipped, the
   * view is read when the update is sent (never a stale queued one), a view is marked sent only once
   * the platform took it, and a platform's Retry-After holds the next update back.
   */
  #startProgress (run: RunState): void {
    const reply = run.request.reply
    if (reply === undefined) return
    const adapter = this.#o.adapterFor(reply.scheme)
    const caller = this.#o.config.callers[run.request.caller]
    if (adapter.progress === undefined || caller === undefined) return
    const interval = adapter.progressIntervalMs ?? 3000
    let text = ''
    let seq = 0
    let lastSent: string | null = null
    let inFlight = false
    let holdUntil = 0
    const update = async (): Promise<void> => {
      if (run.isFinal || this.#stopped) return
      const page = run.log.since(seq, 4096)
      for (const e of page.events) {
        seq = e.seq
        if (e.event === 'text') text += (e.data as { text: string }).text
      }
      const view = progressText(text, adapter.limits)
      if (view === lastSent && adapter.progressKeepsAlive !== true) return
      try {
        const d = await this.#o.store.getDelivery(run.id, 'reply')
        if (d === null || d.state !== 'pending' || this.#answered.has(`${run.id}:reply`) || run.isFinal) return
        const save = async (p: DeliveryProgress): Promise<void> => { await this.#o.store.updateDelivery({ ...d, progress: { ...p } }) }
        await adapter.progress!(this.#context(run.request.caller, caller, `${run.id}.reply`, save), reply.target, view, d.progress).catch((error: unknown) => {
          this.#attempted(reply.scheme, 'progress', 'failed')
          throw error
        })
        this.#attempted(reply.scheme, 'progress', 'delivered')
        lastSent = view
      } catch (error) {
        if (error instanceof DeliveryError && error.retryAfterMs !== null) holdUntil = this.#o.now() + error.retryAfterMs
        // A live view that cannot be updated is not worth failing anything for: the result still goes out.
        this.#o.log?.warn({ run: run.id, err: describe(error) }, 'live progress not updated')
      }
    }
    const tick = (): void => {
      if (run.isFinal || this.#stopped) return
      const timer = setTimeout(tick, interval)
      timer.unref()
      if (inFlight || this.#o.now() < holdUntil) return
      inFlight = true
      this.#chain(run.id, () => update().finally(() => { inFlight = false }))
    }
    const first = setTimeout(tick, FIRST_PROGRESS_MS)
    first.unref()
  }

  #attempted (platform: string, channel: string, result: DeliveryAttempt['result']): void {
    try { this.#o.onAttempt?.({ platform, channel, result }) } catch {}
  }

  #context (callerId: string, caller: CallerConfig, deliveryId: string, save: (p: DeliveryProgress) => Promise<void>): DeliveryContext {
    return { http: this.#o.http, callerId, caller, deliveryId, save, now: this.#o.now }
  }

  #chain (runId: string, work: () => Promise<void>): void {
    const next = (this.#chains.get(runId) ?? Promise.resolve()).then(work, work)
    this.#chains.set(runId, next)
    this.#spawn(next.finally(() => { if (this.#chains.get(runId) === next) this.#chains.delete(runId) }))
  }

  #spawn (p: Promise<unknown>): void {
    const tracked = p.catch((error: unknown) => this.#o.log?.warn({ err: describe(error) }, 'delivery task failed'))
    this.#inflight.add(tracked)
    void tracked.finally(() => this.#inflight.delete(tracked))
  }

  #audit (run: Run | undefined, runId: string, channel: DeliveryChannel, status: string, attempts: number, reason?: string): void {
    try {
      this.#o.audit.append({
        event: 'delivery',
        caller: run?.caller ?? null,
        user: run?.user ?? null,
        run: runId,
        channel,
        status,
        attempts,
        ...(reason !== undefined ? { reason } : {})
      })
    } catch (error) {
      this.#o.log?.warn({ run: runId, err: describe(error) }, 'delivery outcome not audited')
    }
  }
}

function describe (error: unknown): string {
  if (error instanceof DeliveryError) return error.message
  return `internal error (${(error as Error)?.name ?? 'unknown'})`
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => { setTimeout(resolve, ms).unref() })
}
