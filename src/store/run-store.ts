// The one interface behind which runs, their events, idempotency keys and pending confirmations are
// kept. The embedded default is SQLite (sqlite-store.ts); `memory` keeps everything for the life of the
// process (tests, throwaway gateways); a shared store for several replicas is a third implementation.
// Every method is async so a networked store fits the same shape. Implementations throw
// StoreUnavailableError when they cannot read or write (disk full, database locked, connection lost):
// the gateway answers 503 and tries again on the next request, with no restart.
import type { FramePage } from '../sse/format-event.ts'
import type { Run, RunEvent, RunStatus } from '../schemas/run.ts'
import type { RunRequest } from '../runs/run-state.ts'

/** Where a run's agent was started, recorded at spawn so leftovers can be found after a crash. */
export interface ProcessRecord {
  pid: number
  pgid: number
  /** Start time of the leader in clock ticks since boot (/proc/<pid>/stat field 22): a reused pid differs. */
  startTicks: number
  bootId: string
}

export interface StoredRun {
  run: Run
  request: RunRequest
  /** SHA-256 of the run's bearer token, hex. */
  tokenHash: string
  process: ProcessRecord | null
}

/** Where a run's result is sent once it is final: the platform's own reply, and/or the caller's callback. */
export type DeliveryChannel = 'reply' | 'callback'

export interface StoredDelivery {
  runId: string
  channel: DeliveryChannel
  state: 'pending' | 'done' | 'failed'
  attempts: number
  /** Wall-clock ms before which the next attempt is not made (0: as soon as the run is final). */
  nextAt: number
  /** What the delivery had sent when it stopped, so a retry resumes instead of repeating (JSON). */
  progress: { sent: number, [key: string]: unknown }
  /** The last failure, for humans (never a URL or token). */
  error: string | null
}

export interface NewRun {
  run: Run
  request: RunRequest
  tokenHash: string
  /** Deliveries owed for this run, created pending in the same transaction as the run. */
  deliveries?: readonly DeliveryChannel[]
  /** Idempotency keys from signed material; each may belong to one run only. */
  keys: readonly string[]
  /** Wall-clock ms now, and until which the keys are kept. */
  now: number
  keysExpireAt: number
  /** The instance responsible for the run (shared stores; see shared-store.ts). */
  owner?: string
}

export type CreateResult = { created: true } | { created: false, existing: StoredRun }

export interface EventPage {
  events: RunEvent[]
  /** True when events after the asked-for seq are no longer kept; `events` start at the oldest kept. */
  reset: boolean
}

export interface RunListFilter {
  caller?: string
  status?: RunStatus
  limit: number
  /** A run id: only runs accepted before it. */
  before?: string
}

export interface StoredConfirmation {
  id: number
  /** The caller and user it belongs to, as one opaque string. */
  owner: string
  code: string
  expiresAt: number
  value: unknown
}

/** One conversation's agent session, keyed by caller, user, thread and project. */
export interface StoredSession {
  key: string
  caller: string
  /** The agent profile the session belongs to: another profile's id means nothing to this one. */
  profile: string
  /** The agent's own session id. */
  agentSession: string
  createdAt: number
  lastUsedAt: number
}

export interface PruneResult {
  runs: number
  keys: number
  confirmations: number
}

export interface RunStore {
  /** `sqlite`, `memory`, …: shown by /readyz and in logs. */
  readonly kind: string

  /**
   * Inserts the run and its idempotency keys in one durable transaction, unless an unexpired key
   * already belongs to a run: then nothing is written and that run is returned. Duplicates racing each
   * other are settled by the store's uniqueness, never by a read-then-write in the caller.
   * `afterCommit` (the audit record) runs right after the commit, before any other call can see the
   * run in a synchronous store; if it throws, the run and its keys are deleted again and the error is
   * rethrown, so a run exists only with its audit record.
   */
  createRun (run: NewRun, afterCommit?: () => void): Promise<CreateResult>

  /** Removes a run, its events and its idempotency keys (undoing a createRun whose audit failed). */
  deleteRun (id: string): Promise<void>

  getRun (id: string): Promise<StoredRun | null>

  /** The run an unexpired idempotency key belongs to, if any. */
  findByKeys (keys: readonly string[], now: number): Promise<StoredRun | null>

  /**
   * Replaces the public run object (status and results); `durable` syncs it to disk before resolving.
   * The object must not be changed afterwards: a store may keep its JSON on it (src/runs/event-json.ts).
   */
  updateRun (run: Run, opts?: { durable?: boolean }): Promise<void>

  /**
   * Records the agent's process, for a restart to find and stop what a crash left running. Not synced
   * on its own: a crash of the gateway leaves the operating system's copy intact, and the processes
   * do not outlive a crash of the machine. The run's next durable write takes it to the disk.
   */
  setProcess (id: string, process: ProcessRecord): Promise<void>

  /**
   * Appends events (seq strictly increasing per run) and forgets those older than `keepFromSeq`, so
   * each run's stored log stays within the bounds the caller keeps.
   */
  appendEvents (id: string, events: readonly RunEvent[], keepFromSeq: number): Promise<void>

  /** Up to `limit` events after `afterSeq`, oldest first. */
  readEvents (id: string, afterSeq: number, limit: number): Promise<EventPage>

  /**
   * Up to `limit` events right after `afterSeq` as stream frames, about `maxBytes` of data at most
   * (always at least one event); null when there are none or they do not follow it (kept no
   * longer: `readEvents` says what to do). Optional: a store that cannot make them is read through
   * `readEvents`.
   */
  readFrames?(id: string, afterSeq: number, limit: number, maxBytes: number): Promise<FramePage | null>

  /** Seq of the run's newest stored event, 0 if none. */
  lastSeq (id: string): Promise<number>

  /** Newest first, in acceptance order. */
  listRuns (filter: RunListFilter): Promise<Run[]>

  /** Runs still queued or running according to the store: after a crash, the ones to recover. */
  unfinishedRuns (): Promise<StoredRun[]>

  countByStatus (): Promise<Partial<Record<RunStatus, number>>>

  /** Deliveries not yet done or failed, oldest run first. */
  pendingDeliveries (): Promise<StoredDelivery[]>
  getDelivery (runId: string, channel: DeliveryChannel): Promise<StoredDelivery | null>
  /** Replaces the delivery's state (it must exist). */
  updateDelivery (delivery: StoredDelivery): Promise<void>

  /** Adds one, then drops the oldest beyond `perOwner` for its owner and beyond `total` overall. */
  addConfirmation (c: Omit<StoredConfirmation, 'id'>, bounds: { perOwner: number, total: number }): Promise<void>
  /** Pending (unexpired) confirmations of one owner, oldest first. */
  confirmationsOf (owner: string, now: number): Promise<StoredConfirmation[]>
  /** True when this call removed it (so two concurrent takers cannot both use one code). */
  deleteConfirmation (id: number): Promise<boolean>

  getSession (key: string): Promise<StoredSession | null>
  /** Inserts or replaces the session under its key. */
  putSession (session: StoredSession): Promise<void>
  /** True when there was one. */
  deleteSession (key: string): Promise<boolean>

  /**
   * Deletes finished runs (and their events) finished before `runsBefore`, expired keys and
   * confirmations, and sessions last used before `runsBefore`.
   */
  prune (runsBefore: number, now: number): Promise<PruneResult>

  /** Resolves when the store can be written; rejects with StoreUnavailableError otherwise. */
  probe (): Promise<void>

  close (): Promise<void>
}

export class StoreUnavailableError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreUnavailableError'
  }
}
