// What a store shared by several processes (gateway replicas, workers) offers beyond RunStore:
// who holds each unfinished run, leases that say which processes are alive, an atomic claim so a
// run is never executed twice, conditional finishing so two processes never both end a run, and
// a wake-up when another process appends events. The Redis store is the implementation.
import type { Redis, RedisOptions } from 'ioredis'
import type { Run, RunEvent } from '../schemas/run.ts'
import type { RunStore, StoredRun } from './run-store.ts'

/** The owner of a run that waits in the shared queue, held by no process. */
export const QUEUE_OWNER = 'queue'

export interface InstanceInfo {
  /** Random per process start. */
  id: string
  role: 'gateway' | 'worker'
  host: string
  pid: number
  /** Runs executing there now. */
  running: number
  /** Wall-clock ms of this heartbeat. */
  at: number
}

export interface SharedStore extends RunStore {
  readonly shared: true
  /** The connection, for what shares it (rate limits, control messages). */
  readonly client: Redis
  /** Prefix of every key. */
  readonly prefix: string
  /** Options for a new connection to the same server (the run queue opens its own). */
  connectionOptions (): RedisOptions

  /** Marks the instance alive for `leaseMs` from now. */
  heartbeat (info: InstanceInfo, leaseMs: number): Promise<void>
  /** Ends the instance's lease at once (a clean stop: its runs are final). */
  leave (instance: string): Promise<void>
  /** Instances whose lease has not lapsed. */
  instances (): Promise<InstanceInfo[]>

  /** The instance (or QUEUE_OWNER) holding an unfinished run; null for unknown or final runs. */
  ownerOf (id: string): Promise<string | null>
  /** Moves an unfinished run from owner `from` to `to`; false when its owner is no longer `from`. */
  transferRun (id: string, from: string, to: string): Promise<boolean>
  /**
   * Stores `run` (now running) with `instance` as its owner, only when the stored run is still
   * queued: true when this call claimed it. The one guard against executing a run twice.
   */
  claimRun (run: Run, instance: string): Promise<boolean>
  /** Unfinished runs whose owner is an instance without a lease (QUEUE_OWNER never lapses). */
  orphanedRuns (): Promise<StoredRun[]>
  /**
   * Stores the final `run` and appends `result` (its seq is ignored: the next one is used), only
   * when the stored run is still queued or running: true when this call ended it.
   */
  finishIfUnfinished (run: Run, result: Omit<RunEvent, 'seq'>): Promise<boolean>

  /** Resolves when an event after `afterSeq` may exist for the run, after `maxMs`, or on abort. */
  waitForEvents (id: string, afterSeq: number, signal: AbortSignal, maxMs: number): Promise<void>

  /**
   * Takes a conversation for one run of `instance` (true), unless a run of a live instance holds it.
   * A holder whose lease lapsed loses it.
   */
  lockConversation (key: string, instance: string, runId: string): Promise<boolean>
  /** The run holding a conversation now, if any. */
  conversationHolder (key: string): Promise<{ instance: string, runId: string } | null>
  unlockConversation (key: string, runId: string): Promise<void>
}

export function isShared (store: RunStore): store is SharedStore {
  return (store as Partial<SharedStore>).shared === true
}
