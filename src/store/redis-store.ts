// `store: redis://…`: runs, events, keys, deliveries, confirmations and sessions in one Redis, shared by
// several gateways and workers (SharedStore). The same contract as the SQLite store, with these
// differences: durability is the server's (appendonly/appendfsync), so `durable` changes nothing
// here; and events appended for a run the store does not know are dropped (a late append after
// the run was pruned would otherwise leave a stream nothing ever removes).
// Every call either answers or rejects with StoreUnavailableError within about the command timeout:
// nothing queues while Redis is away (see redis-connection.ts), and the same object works again once
// it is back. Key layout: redis-keys.ts; atomic steps: redis-scripts.ts.
import type { Redis, RedisOptions } from 'ioredis'
import type { Run, RunEvent, RunStatus } from '../schemas/run.ts'
import type { RunRequest } from '../runs/run-state.ts'
import {
  type CreateResult, type DeliveryChannel, type EventPage, type NewRun, type ProcessRecord,
  type PruneResult, type RunListFilter, type StoredConfirmation, type StoredDelivery, type StoredRun,
  type StoredSession
} from './run-store.ts'
import { QUEUE_OWNER, type InstanceInfo, type SharedStore } from './shared-store.ts'
import { closeClient, connect, redisOptions, scrub, unavailable, whenReady } from './redis-connection.ts'
import { key } from './redis-keys.ts'
import * as S from './redis-scripts.ts'
import { EventWakeups } from './redis-wakeups.ts'
import { eventJson } from '../runs/event-json.ts'

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string
  /** Overrides a password in the URL. */
  password?: string
  /** Put before every key and the notification channel. */
  prefix?: string
  connectTimeoutMs?: number
  commandTimeoutMs?: number
}

const STATUSES: readonly RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted']
/** Members each prune step removes per kind, so one script never holds Redis for long. */
const PRUNE_BATCH = 500
/** Expiry of the probe key: it only has to prove that a write went through. */
const PROBE_TTL_MS = 60_000

export class RedisStore implements SharedStore {
  readonly kind = 'redis'
  readonly shared = true
  readonly prefix: string
  /** The store's connection, also lent to @fastify/rate-limit. */
  readonly client: Redis
  readonly #options: RedisOptions
  /** Scrubbed from every error message. */
  readonly #secrets: string[]
  readonly #wakeups: EventWakeups
  #lastConnectionError: string | undefined
  #closed = false

  constructor (opts: RedisStoreOptions) {
    this.prefix = opts.prefix ?? 'hookgate:'
    this.#options = redisOptions(opts)
    this.#secrets = [this.#options.password ?? '', opts.password ?? '']
    this.client = connect(this.#options, (error) => { this.#lastConnectionError = scrub(error.message, this.#secrets) })
    this.client.on('ready', () => { this.#lastConnectionError = undefined })
    this.#wakeups = new EventWakeups({
      channel: key(this.prefix, 'eventsChannel'),
      createSubscriber: () => connect(this.connectionOptions(), () => {}),
      lastSeq: async (id) => this.lastSeq(id)
    })
  }

  /** Options for another connection to the same server (override what that connection needs). */
  connectionOptions (): RedisOptions {
    return { ...this.#options }
  }

  /** True once connected, false when not within `timeoutMs`. */
  async ready (timeoutMs: number): Promise<boolean> {
    return whenReady(this.client, timeoutMs)
  }

  async createRun (input: NewRun, afterCommit?: () => void): Promise<CreateResult> {
    const { run } = input
    const deliveries = (input.deliveries ?? []).flatMap((channel) => [channel, JSON.stringify(newDelivery(run.id, channel))])
    const reply = await this.#script(S.CREATE_RUN, [
      run.id, run.caller, run.status, JSON.stringify(run), JSON.stringify(input.request), input.tokenHash, input.owner ?? '',
      input.now, input.keysExpireAt, Math.max(1, input.keysExpireAt - input.now), finishedMs(run), JSON.stringify(input.keys),
      ...deliveries
    ]) as [number, ...string[]]
    if (reply[0] === 0) return { created: false, existing: toStoredRun(reply.slice(1) as string[]) }
    if (reply[0] === 2) throw new Error(`run ${run.id} exists already`)
    if (afterCommit !== undefined) {
      try {
        afterCommit()
      } catch (error) {
        // If this fails too, the run stays queued without an audit line until the caller's retry or
        // recovery (the same as with SQLite).
        try { await this.deleteRun(run.id) } catch {}
        throw error
      }
    }
    return { created: true }
  }

  async deleteRun (id: string): Promise<void> {
    await this.#script(S.DELETE_RUN, [id])
  }

  async getRun (id: string): Promise<StoredRun | null> {
    const h = await this.#call((c) => c.hmget(key(this.prefix, 'run', id), 'run', 'request', 'tokenHash', 'process'))
    return h[0] === null || h[0] === undefined ? null : toStoredRun(h.map((v) => v ?? ''))
  }

  async findByKeys (keys: readonly string[], now: number): Promise<StoredRun | null> {
    if (keys.length === 0) return null
    const reply = await this.#script(S.FIND_BY_KEYS, [now, ...keys]) as string[]
    return reply.length === 0 ? null : toStoredRun(reply)
  }

  async updateRun (run: Run): Promise<void> {
    await this.#script(S.UPDATE_RUN, [run.id, JSON.stringify(run), run.status, finishedMs(run)])
  }

  async setProcess (id: string, process: ProcessRecord): Promise<void> {
    await this.#script(S.SET_PROCESS, [id, JSON.stringify(process)])
  }

  async appendEvents (id: string, events: readonly RunEvent[], keepFromSeq: number): Promise<void> {
    await this.#script(S.APPEND_EVENTS, [id, keepFromSeq, ...events.flatMap((e) => [e.seq, e.event, eventJson(e)])])
  }

  async readEvents (id: string, afterSeq: number, limit: number): Promise<EventPage> {
    const [reset, ...entries] = await this.#script(S.READ_EVENTS, [id, afterSeq, limit]) as [number, ...StreamEntry[]]
    return { events: entries.map(toEvent), reset: reset === 1 }
  }

  async lastSeq (id: string): Promise<number> {
    const last = await this.#call((c) => c.xrevrange(key(this.prefix, 'events', id), '+', '-', 'COUNT', 1))
    return last[0] === undefined ? 0 : seqOf(last[0][0])
  }

  async listRuns (filter: RunListFilter): Promise<Run[]> {
    const runs = await this.#script(S.LIST_RUNS, [filter.caller ?? '', filter.status ?? '', filter.limit, filter.before ?? '']) as string[]
    return runs.map((r) => JSON.parse(r) as Run)
  }

  async unfinishedRuns (): Promise<StoredRun[]> {
    return storedRuns(await this.#script(S.UNFINISHED_RUNS, []) as string[])
  }

  async countByStatus (): Promise<Partial<Record<RunStatus, number>>> {
    const counts = await this.#script(S.COUNT_BY_STATUS, STATUSES) as number[]
    const out: Partial<Record<RunStatus, number>> = {}
    STATUSES.forEach((status, i) => { if ((counts[i] ?? 0) > 0) out[status] = counts[i] })
    return out
  }

  async pendingDeliveries (): Promise<StoredDelivery[]> {
    return (await this.#script(S.PENDING_DELIVERIES, []) as string[]).map((d) => JSON.parse(d) as StoredDelivery)
  }

  async getDelivery (runId: string, channel: DeliveryChannel): Promise<StoredDelivery | null> {
    const d = await this.#call((c) => c.hget(key(this.prefix, 'deliveries', runId), channel))
    return d === null ? null : JSON.parse(d) as StoredDelivery
  }

  async updateDelivery (d: StoredDelivery): Promise<void> {
    const delivery: StoredDelivery = { runId: d.runId, channel: d.channel, state: d.state, attempts: d.attempts, nextAt: d.nextAt, progress: d.progress, error: d.error }
    await this.#script(S.UPDATE_DELIVERY, [d.runId, d.channel, JSON.stringify(delivery), d.state])
  }

  async addConfirmation (c: Omit<StoredConfirmation, 'id'>, bounds: { perOwner: number, total: number }): Promise<void> {
    await this.#script(S.ADD_CONFIRMATION, [c.owner, c.code, c.expiresAt, JSON.stringify(c.value ?? null), bounds.perOwner, bounds.total])
  }

  async confirmationsOf (owner: string, now: number): Promise<StoredConfirmation[]> {
    const flat = await this.#script(S.CONFIRMATIONS_OF, [owner, now]) as string[]
    const out: StoredConfirmation[] = []
    for (let i = 0; i + 3 < flat.length; i += 4) {
      out.push({ id: Number(flat[i]), owner, code: String(flat[i + 1]), expiresAt: Number(flat[i + 2]), value: JSON.parse(String(flat[i + 3])) })
    }
    return out
  }

  async deleteConfirmation (id: number): Promise<boolean> {
    return await this.#script(S.DELETE_CONFIRMATION, [id]) === 1
  }

  async getSession (sessionKey: string): Promise<StoredSession | null> {
    const s = await this.#call((c) => c.hget(key(this.prefix, 'sessions'), sessionKey))
    return s === null ? null : JSON.parse(s) as StoredSession
  }

  async putSession (session: StoredSession): Promise<void> {
    const s: StoredSession = { key: session.key, caller: session.caller, profile: session.profile, agentSession: session.agentSession, createdAt: session.createdAt, lastUsedAt: session.lastUsedAt }
    await this.#script(S.PUT_SESSION, [s.key, JSON.stringify(s), s.lastUsedAt])
  }

  async deleteSession (sessionKey: string): Promise<boolean> {
    return await this.#script(S.DELETE_SESSION, [sessionKey]) === 1
  }

  async prune (runsBefore: number, now: number): Promise<PruneResult> {
    const total: PruneResult = { runs: 0, keys: 0, confirmations: 0 }
    for (;;) {
      const [runs, keys, confirmations, , more] = await this.#script(S.PRUNE, [runsBefore, now, PRUNE_BATCH]) as number[]
      total.runs += runs ?? 0
      total.keys += keys ?? 0
      total.confirmations += confirmations ?? 0
      if (more !== 1) return total
    }
  }

  async probe (): Promise<void> {
    await this.#call((c) => c.set(key(this.prefix, 'probe'), String(Date.now()), 'PX', PROBE_TTL_MS))
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#wakeups.close()
    const sub = this.#wakeups.subscriber
    await Promise.all([closeClient(this.client), ...(sub !== undefined ? [closeClient(sub)] : [])])
  }

  // SharedStore

  async heartbeat (info: InstanceInfo, leaseMs: number): Promise<void> {
    await this.#script(S.HEARTBEAT, [info.id, JSON.stringify(info), Math.max(1, Math.round(leaseMs))])
  }

  async leave (instance: string): Promise<void> {
    await this.#script(S.LEAVE, [instance])
  }

  async instances (): Promise<InstanceInfo[]> {
    return (await this.#script(S.INSTANCES, []) as string[]).map((i) => JSON.parse(i) as InstanceInfo)
  }

  async ownerOf (id: string): Promise<string | null> {
    const [status, owner] = await this.#call((c) => c.hmget(key(this.prefix, 'run', id), 'status', 'owner'))
    return status === 'queued' || status === 'running' ? owner ?? null : null
  }

  async transferRun (id: string, from: string, to: string): Promise<boolean> {
    return await this.#script(S.TRANSFER_RUN, [id, from, to]) === 1
  }

  async claimRun (run: Run, instance: string): Promise<boolean> {
    return await this.#script(S.CLAIM_RUN, [run.id, JSON.stringify(run), run.status, finishedMs(run), instance]) === 1
  }

  async orphanedRuns (): Promise<StoredRun[]> {
    return storedRuns(await this.#script(S.ORPHANED_RUNS, [QUEUE_OWNER]) as string[])
  }

  async finishIfUnfinished (run: Run, result: Omit<RunEvent, 'seq'>): Promise<boolean> {
    const seq = await this.#script(S.FINISH_IF_UNFINISHED, [run.id, JSON.stringify(run), run.status, finishedMs(run), result.event, JSON.stringify(result.data)])
    return seq !== 0
  }

  async waitForEvents (id: string, afterSeq: number, signal: AbortSignal, maxMs: number): Promise<void> {
    if (this.#closed) return
    await this.#wakeups.wait(id, afterSeq, signal, maxMs)
  }

  async lockConversation (conversation: string, instance: string, runId: string): Promise<boolean> {
    return await this.#script(S.LOCK_CONVERSATION, [conversation, instance, runId]) === 1
  }

  async conversationHolder (conversation: string): Promise<{ instance: string, runId: string } | null> {
    const h = await this.#script(S.CONVERSATION_HOLDER, [conversation]) as string[]
    return h.length === 2 ? { instance: h[0] as string, runId: h[1] as string } : null
  }

  async unlockConversation (conversation: string, runId: string): Promise<void> {
    await this.#script(S.UNLOCK_CONVERSATION, [conversation, runId])
  }

  async #script (script: S.Script, args: ReadonlyArray<string | number>): Promise<unknown> {
    return this.#call((c) => S.runScript(c, script, [this.prefix, ...args]))
  }

  /** The one place Redis is called: whatever it throws becomes StoreUnavailableError. */
  async #call<T> (work: (client: Redis) => Promise<T>): Promise<T> {
    if (this.#closed) throw unavailable(new Error('the store is closed'), this.#secrets, undefined)
    try {
      return await work(this.client)
    } catch (error) {
      throw unavailable(error, this.#secrets, this.#lastConnectionError)
    }
  }
}

type StreamEntry = [id: string, fields: string[]]

function newDelivery (runId: string, channel: DeliveryChannel): StoredDelivery {
  return { runId, channel, state: 'pending', attempts: 0, nextAt: 0, progress: { sent: 0 }, error: null }
}

function finishedMs (run: Run): string {
  return run.finished_at === null ? '' : String(Date.parse(run.finished_at))
}

function seqOf (entryId: string): number {
  return Number(entryId.slice(0, entryId.indexOf('-')))
}

function toEvent ([id, fields]: StreamEntry): RunEvent {
  let event = ''
  let data = 'null'
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'e') event = fields[i + 1] as string
    else if (fields[i] === 'd') data = fields[i + 1] as string
  }
  return { seq: seqOf(id), event, data: JSON.parse(data) } as RunEvent
}

function toStoredRun ([run, request, tokenHash, process]: readonly string[]): StoredRun {
  return {
    run: JSON.parse(run as string) as Run,
    request: JSON.parse(request as string) as RunRequest,
    tokenHash: tokenHash as string,
    process: process === undefined || process === '' ? null : JSON.parse(process) as ProcessRecord
  }
}

function storedRuns (flat: readonly string[]): StoredRun[] {
  const out: StoredRun[] = []
  for (let i = 0; i + 3 < flat.length; i += 4) out.push(toStoredRun(flat.slice(i, i + 4)))
  return out
}
