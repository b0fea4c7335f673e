// The embedded store: SQLite through the built-in node:sqlite, one connection owned by this gateway
// (the state-directory lock keeps a second gateway out), WAL so readers never wait for the writer.
// Statements are synchronous and short; the busy timeout is short too, because a wait blocks the
// event loop: a database locked by someone else turns into a quick 503, not a frozen gateway.
// Every commit uses synchronous=NORMAL, which WAL keeps safe against a crash of the process. Acceptance
// and start must also survive a power loss (on disk before the answer and before the agent is
// spawned): for those the write-ahead log is fdatasync'ed afterwards, on the thread pool and shared by
// every commit made meanwhile (group commit), instead of a FULL commit's fsync on the event loop.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { fdatasyncOf, GroupSync } from '../fs/group-sync.ts'
import type { Run, RunEvent, RunStatus } from '../schemas/run.ts'
import { FINAL_STATUSES } from '../schemas/run.ts'
import type { RunRequest } from '../runs/run-state.ts'
import { MIGRATE_EVENTS_V4, SCHEMA_V1, SCHEMA_VERSION } from './sqlite-schema.ts'
import { eventJson, jsonOf, keepJson } from '../runs/event-json.ts'
import type { FramePage } from '../sse/format-event.ts'
import {
  StoreUnavailableError,
  type CreateResult, type EventPage, type NewRun, type ProcessRecord, type PruneResult,
  type RunListFilter, type RunStore, type StoredConfirmation, type StoredRun, type StoredSession,
  type DeliveryChannel, type StoredDelivery
} from './run-store.ts'

export interface SqliteStoreOptions {
  /** Milliseconds a statement waits for a lock held by another connection. */
  busyTimeoutMs?: number
}

export const DATABASE_FILE = 'hookgate.db'

/** SQLite primary result codes that mean "cannot read or write now", not "the query is wrong". */
const UNAVAILABLE = new Set([5 /* BUSY */, 6 /* LOCKED */, 7 /* NOMEM */, 8 /* READONLY */, 10 /* IOERR */,
  11 /* CORRUPT */, 13 /* FULL */, 14 /* CANTOPEN */, 15 /* PROTOCOL */, 26 /* NOTADB */])

type Row = Record<string, unknown>

/** What a `result` event stores for its data when the data is the run's row (schema version 5). */
const IN_ROW = ''
/** An event's data as stored, with a result's read from the run's row. */
const EVENT_DATA = `CASE WHEN data = '${IN_ROW}' THEN (SELECT run FROM runs WHERE runs.id = events.run_id) ELSE data END`

export class SqliteStore implements RunStore {
  readonly kind = 'sqlite'
  readonly path: string
  readonly #db: DatabaseSync
  readonly #stmts = new Map<string, StatementSync>()
  /** Final runs a result event wrote to their rows (final runs are never changed). */
  readonly #inRow = new WeakSet<Run>()
  /** A descriptor of the -wal file, for its fdatasync (fsync works on the file, whichever descriptor). */
  #walFd: number | null = null
  readonly #walSync = new GroupSync(fdatasyncOf(() => {
    this.#walFd ??= openSync(`${this.path}-wal`, 'r')
    return this.#walFd
  }))

  constructor (stateDir: string, opts: SqliteStoreOptions = {}) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 })
    this.path = join(stateDir, DATABASE_FILE)
    try {
      this.#db = new DatabaseSync(this.path, { timeout: opts.busyTimeoutMs ?? 200 })
      // The database holds prompts and outputs: private to this user, like the other state files.
      // SQLite gives its -wal and -shm files the database's mode, so they follow.
      for (const file of [this.path, `${this.path}-wal`, `${this.path}-shm`]) {
        if (existsSync(file)) chmodSync(file, 0o600)
      }
    } catch (error) {
      throw unavailable(error)
    }
    try {
      this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF')
      const version = Number((this.#db.prepare('PRAGMA user_version').get() as Row).user_version)
      if (version > SCHEMA_VERSION) {
        throw new StoreUnavailableError(`${this.path} was written by a newer hookgate (schema ${version}, this one knows ${SCHEMA_VERSION})`)
      }
      const migrate = version >= 1 && version < 4 ? MIGRATE_EVENTS_V4 : ''
      this.#db.exec(`BEGIN; ${SCHEMA_V1} ${migrate} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT`)
    } catch (error) {
      this.#db.close()
      throw unavailable(error)
    }
  }

  async createRun (input: NewRun, afterCommit?: () => void): Promise<CreateResult> {
    const result = await this.#durableWrite((): CreateResult => {
      for (const key of input.keys) this.#stmt('DELETE FROM idempotency WHERE key = ? AND expires_at <= ?').run(key, input.now)
      for (const key of input.keys) {
        const hit = this.#stmt('SELECT run_id FROM idempotency WHERE key = ?').get(key) as Row | undefined
        if (hit === undefined) continue
        const existing = this.#getRun(String(hit.run_id))
        if (existing !== null) return { created: false, existing }
        // Its run is gone (deleted by hand?): the key protects nothing any more.
        this.#stmt('DELETE FROM idempotency WHERE key = ?').run(key)
      }
      const { run } = input
      this.#stmt(`INSERT INTO runs (id, caller, status, created_at, finished_at, run, request, token_hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(run.id, run.caller, run.status, Date.parse(run.created_at),
        finishedMs(run), JSON.stringify(run), JSON.stringify(input.request), input.tokenHash)
      // A plain INSERT: the primary key, not the check above, is what makes a key belong to one run.
      for (const key of input.keys) {
        this.#stmt('INSERT INTO idempotency (key, run_id, expires_at) VALUES (?, ?, ?)').run(key, run.id, input.keysExpireAt)
      }
      for (const channel of input.deliveries ?? []) {
        this.#stmt(`INSERT INTO deliveries (run_id, channel, state, attempts, next_at, progress, error)
          VALUES (?, ?, 'pending', 0, 0, '{"sent":0}', NULL)`).run(run.id, channel)
      }
      return { created: true }
    })
    if (result.created && afterCommit !== undefined) {
      try {
        afterCommit()
      } catch (error) {
        // If this fails too, the run stays queued without an audit line until the caller's retry or
        // the next start's recovery (which records it interrupted, "not started").
        try { this.#deleteRun(input.run.id) } catch {}
        throw error
      }
    }
    return result
  }

  async deleteRun (id: string): Promise<void> {
    this.#deleteRun(id)
  }

  #deleteRun (id: string): void {
    this.#write(() => {
      this.#stmt('DELETE FROM events WHERE run_id = ?').run(id)
      this.#stmt('DELETE FROM idempotency WHERE run_id = ?').run(id)
      this.#stmt('DELETE FROM deliveries WHERE run_id = ?').run(id)
      this.#stmt('DELETE FROM runs WHERE id = ?').run(id)
    })
  }

  async getRun (id: string): Promise<StoredRun | null> {
    return this.#read(() => this.#getRun(id))
  }

  async findByKeys (keys: readonly string[], now: number): Promise<StoredRun | null> {
    return this.#read(() => {
      for (const key of keys) {
        const hit = this.#stmt('SELECT run_id FROM idempotency WHERE key = ? AND expires_at > ?').get(key, now) as Row | undefined
        const run = hit === undefined ? null : this.#getRun(String(hit.run_id))
        if (run !== null) return run
      }
      return null
    })
  }

  async updateRun (run: Run, opts: { durable?: boolean } = {}): Promise<void> {
    // The run's result event wrote this very object to the row already (appendEvents): durable or
    // not, there is nothing left to write but the sync.
    if (this.#inRow.has(run)) {
      // No empty transaction: at a few hundred runs a second, each was a BEGIN and a COMMIT more.
      if (opts.durable === true) await this.#syncWal()
      return
    }
    const work = (): void => {
      this.#stmt('UPDATE runs SET status = ?, finished_at = ?, run = ? WHERE id = ?')
        .run(run.status, finishedMs(run), jsonOf(run), run.id)
    }
    if (opts.durable === true) await this.#durableWrite(work)
    else this.#write(work)
  }

  async setProcess (id: string, process: ProcessRecord): Promise<void> {
    // Not synced (see RunStore.setProcess): one fdatasync less per run.
    this.#write(() => {
      this.#stmt('UPDATE runs SET process = ? WHERE id = ?').run(JSON.stringify(process), id)
    })
  }

  async appendEvents (id: string, events: readonly RunEvent[], keepFromSeq: number): Promise<void> {
    await this.#write(() => {
      const insert = this.#stmt('INSERT OR REPLACE INTO events (run_id, seq, event, data) VALUES (?, ?, ?, ?)')
      for (const e of events) {
        if (e.seq >= keepFromSeq) insert.run(id, e.seq, e.event, this.#resultInRow(id, e) ? IN_ROW : eventJson(e))
      }
      this.#stmt('DELETE FROM events WHERE run_id = ? AND seq < ?').run(id, keepFromSeq)
    })
  }

  /**
   * A run's `result` event carries the final run, which is what the run's row holds once the run is
   * final: the event writes it to the row, in the same transaction, and is stored as IN_ROW, so a
   * run's answer (up to `max_output_bytes`) is written and kept once, not twice. False (the event is
   * stored with its data) when the run has no row here.
   */
  #resultInRow (id: string, e: RunEvent): boolean {
    if (e.event !== 'result' || e.data.id !== id || !FINAL_STATUSES.has(e.data.status)) return false
    const run = e.data
    const { changes } = this.#stmt('UPDATE runs SET status = ?, finished_at = ?, run = ? WHERE id = ?')
      .run(run.status, finishedMs(run), jsonOf(run), id)
    if (Number(changes) !== 1) return false
    this.#inRow.add(run)
    return true
  }

  async readEvents (id: string, afterSeq: number, limit: number): Promise<EventPage> {
    return this.#read(() => {
      const bounds = this.#stmt('SELECT MIN(seq) AS first, MAX(seq) AS last FROM events WHERE run_id = ?').get(id) as Row
      const first = bounds.first === null ? null : Number(bounds.first)
      // A cursor beyond the newest event was never handed out: the reader starts over.
      const reset = first !== null && (afterSeq + 1 < first || afterSeq > Number(bounds.last))
      const rows = this.#stmt(`SELECT seq, event, ${EVENT_DATA} AS data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
        .all(id, reset ? (first as number) - 1 : afterSeq, limit) as Row[]
      const events = rows.map((r) => ({ seq: Number(r.seq), event: String(r.event), data: JSON.parse(String(r.data)) }) as RunEvent)
      return { events, reset }
    })
  }

  async readFrames (id: string, afterSeq: number, limit: number, maxBytes: number): Promise<FramePage | null> {
    return this.#read(() => {
      // SQLite lays out the frames (the same text formatEvent makes) and hands them over as one
      // BLOB: a reader far behind a burst costs one buffer per page, not an object, a parsed copy
      // and an encoded copy of every event, which a hundred such readers made hundreds of MB of
      // garbage a second. The page ends before the event that would take it past maxBytes (its
      // first event is always in it).
      const row = this.#stmt(`SELECT COUNT(*) AS n, MIN(seq) AS first, MAX(seq) AS last, MAX(event = 'result') AS result,
          CAST(group_concat('id: ' || seq || char(10) || 'event: ' || event || char(10) || 'data: ' || data || char(10) || char(10), '' ORDER BY seq) AS BLOB) AS frames
        FROM (SELECT seq, event, data, SUM(LENGTH(data)) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) - LENGTH(data) AS before
          FROM (SELECT seq, event, ${EVENT_DATA} AS data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?))
        WHERE before = 0 OR before + LENGTH(data) <= ?`).get(id, afterSeq, limit, maxBytes) as Row
      const n = Number(row.n)
      if (n === 0 || Number(row.first) !== afterSeq + 1 || Number(row.last) !== afterSeq + n) return null
      const frames = row.frames as Uint8Array
      return { bytes: Buffer.from(frames.buffer, frames.byteOffset, frames.byteLength), lastSeq: Number(row.last), result: Number(row.result) === 1, owned: frames.byteOffset === 0 && frames.byteLength === frames.buffer.byteLength }
    })
  }

  async lastSeq (id: string): Promise<number> {
    return this.#read(() => Number((this.#stmt('SELECT COALESCE(MAX(seq), 0) AS s FROM events WHERE run_id = ?').get(id) as Row).s))
  }

  async listRuns (filter: RunListFilter): Promise<Run[]> {
    return this.#read(() => {
      const where: string[] = []
      const params: Array<string | number> = []
      if (filter.caller !== undefined) { where.push('caller = ?'); params.push(filter.caller) }
      if (filter.status !== undefined) { where.push('status = ?'); params.push(filter.status) }
      if (filter.before !== undefined) {
        const at = this.#stmt('SELECT seq FROM runs WHERE id = ?').get(filter.before) as Row | undefined
        // A run no longer kept: ids sort by acceptance time, which is the next best order.
        if (at !== undefined) { where.push('seq < ?'); params.push(Number(at.seq)) } else { where.push('id < ?'); params.push(filter.before) }
      }
      const sql = `SELECT run FROM runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`
      return (this.#db.prepare(sql).all(...params, filter.limit) as Row[]).map((r) => JSON.parse(String(r.run)) as Run)
    })
  }

  async unfinishedRuns (): Promise<StoredRun[]> {
    return this.#read(() => (this.#stmt("SELECT * FROM runs WHERE status IN ('queued', 'running') ORDER BY seq").all() as Row[]).map(toStoredRun))
  }

  async countByStatus (): Promise<Partial<Record<RunStatus, number>>> {
    return this.#read(() => Object.fromEntries((this.#stmt('SELECT status, COUNT(*) AS n FROM runs GROUP BY status').all() as Row[])
      .map((r) => [String(r.status), Number(r.n)])))
  }

  async addConfirmation (c: Omit<StoredConfirmation, 'id'>, bounds: { perOwner: number, total: number }): Promise<void> {
    await this.#write(() => {
      this.#stmt('INSERT INTO confirmations (owner, code, expires_at, value) VALUES (?, ?, ?, ?)').run(c.owner, c.code, c.expiresAt, JSON.stringify(c.value))
      this.#stmt('DELETE FROM confirmations WHERE owner = ? AND id NOT IN (SELECT id FROM confirmations WHERE owner = ? ORDER BY id DESC LIMIT ?)')
        .run(c.owner, c.owner, bounds.perOwner)
      this.#stmt('DELETE FROM confirmations WHERE id NOT IN (SELECT id FROM confirmations ORDER BY id DESC LIMIT ?)').run(bounds.total)
    })
  }

  async confirmationsOf (owner: string, now: number): Promise<StoredConfirmation[]> {
    return this.#read(() => (this.#stmt('SELECT * FROM confirmations WHERE owner = ? AND expires_at > ? ORDER BY id').all(owner, now) as Row[])
      .map((r) => ({ id: Number(r.id), owner: String(r.owner), code: String(r.code), expiresAt: Number(r.expires_at), value: JSON.parse(String(r.value)) })))
  }

  async pendingDeliveries (): Promise<StoredDelivery[]> {
    return this.#read(() => (this.#stmt(`SELECT d.* FROM deliveries d JOIN runs r ON r.id = d.run_id
      WHERE d.state = 'pending' ORDER BY r.seq`).all() as Row[]).map(toDelivery))
  }

  async getDelivery (runId: string, channel: DeliveryChannel): Promise<StoredDelivery | null> {
    return this.#read(() => {
      const row = this.#stmt('SELECT * FROM deliveries WHERE run_id = ? AND channel = ?').get(runId, channel) as Row | undefined
      return row === undefined ? null : toDelivery(row)
    })
  }

  async updateDelivery (d: StoredDelivery): Promise<void> {
    await this.#write(() => {
      this.#stmt('UPDATE deliveries SET state = ?, attempts = ?, next_at = ?, progress = ?, error = ? WHERE run_id = ? AND channel = ?')
        .run(d.state, d.attempts, d.nextAt, JSON.stringify(d.progress), d.error, d.runId, d.channel)
    })
  }

  async deleteConfirmation (id: number): Promise<boolean> {
    return this.#write(() => Number(this.#stmt('DELETE FROM confirmations WHERE id = ?').run(id).changes) === 1)
  }

  async getSession (key: string): Promise<StoredSession | null> {
    return this.#read(() => {
      const row = this.#stmt('SELECT * FROM sessions WHERE key = ?').get(key) as Row | undefined
      return row === undefined
        ? null
        : { key: String(row.key), caller: String(row.caller), profile: String(row.profile), agentSession: String(row.agent_session), createdAt: Number(row.created_at), lastUsedAt: Number(row.last_used_at) }
    })
  }

  async putSession (session: StoredSession): Promise<void> {
    await this.#write(() => {
      this.#stmt('INSERT OR REPLACE INTO sessions (key, caller, profile, agent_session, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(session.key, session.caller, session.profile, session.agentSession, session.createdAt, session.lastUsedAt)
    })
  }

  async deleteSession (key: string): Promise<boolean> {
    return this.#write(() => Number(this.#stmt('DELETE FROM sessions WHERE key = ?').run(key).changes) === 1)
  }

  async prune (runsBefore: number, now: number): Promise<PruneResult> {
    return this.#write(() => {
      const old = "SELECT id FROM runs WHERE finished_at IS NOT NULL AND finished_at < ? AND status NOT IN ('queued', 'running')"
      this.#stmt(`DELETE FROM events WHERE run_id IN (${old})`).run(runsBefore)
      this.#stmt(`DELETE FROM deliveries WHERE run_id IN (${old})`).run(runsBefore)
      const runs = Number(this.#stmt(`DELETE FROM runs WHERE id IN (${old})`).run(runsBefore).changes)
      const keys = Number(this.#stmt('DELETE FROM idempotency WHERE expires_at <= ?').run(now).changes)
      const confirmations = Number(this.#stmt('DELETE FROM confirmations WHERE expires_at <= ?').run(now).changes)
      this.#stmt('DELETE FROM sessions WHERE last_used_at < ?').run(runsBefore)
      return { runs, keys, confirmations }
    })
  }

  async probe (): Promise<void> {
    // A real write: a full disk or a lock held elsewhere shows here, not only on the next request.
    await this.#write(() => {
      this.#stmt('INSERT INTO probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at').run(Date.now())
    })
  }

  async close (): Promise<void> {
    await this.#walSync.idle()
    if (this.#walFd !== null) closeSync(this.#walFd)
    this.#walFd = null
    if (this.#db.isOpen) this.#db.close()
  }

  #getRun (id: string): StoredRun | null {
    const row = this.#stmt('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined
    return row === undefined ? null : toStoredRun(row)
  }

  #stmt (sql: string): StatementSync {
    let stmt = this.#stmts.get(sql)
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql)
      this.#stmts.set(sql, stmt)
    }
    return stmt
  }

  #read<T> (work: () => T): T {
    try {
      return work()
    } catch (error) {
      throw unavailable(error)
    }
  }

  /** One transaction; rolled back on any error, which leaves the connection usable once the fault clears. */
  #write<T> (work: () => T): T {
    const db = this.#db
    try {
      db.exec('BEGIN IMMEDIATE')
      const result = work()
      db.exec('COMMIT')
      return result
    } catch (error) {
      if (db.isOpen && db.isTransaction) {
        try { db.exec('ROLLBACK') } catch {}
      }
      throw unavailable(error)
    }
  }

  /**
   * A transaction that is on disk when this settles. If the sync fails the transaction is committed
   * but maybe not durable: the caller is told the store is unavailable and does not go on.
   */
  async #durableWrite<T> (work: () => T): Promise<T> {
    const result = this.#write(work)
    await this.#syncWal()
    return result
  }

  /** Settles once everything committed so far is on disk. */
  async #syncWal (): Promise<void> {
    try {
      await this.#walSync.sync()
    } catch (error) {
      throw new StoreUnavailableError(`database unavailable: the write-ahead log could not be synced (${(error as { code?: string }).code ?? 'error'})`, { cause: error })
    }
  }
}

function finishedMs (run: Run): number | null {
  return run.finished_at === null ? null : Date.parse(run.finished_at)
}

function toDelivery (row: Row): StoredDelivery {
  return {
    runId: String(row.run_id),
    channel: String(row.channel) as DeliveryChannel,
    state: String(row.state) as StoredDelivery['state'],
    attempts: Number(row.attempts),
    nextAt: Number(row.next_at),
    progress: JSON.parse(String(row.progress)) as StoredDelivery['progress'],
    error: row.error === null ? null : String(row.error)
  }
}

function toStoredRun (row: Row): StoredRun {
  return {
    run: runOf(String(row.run)),
    request: JSON.parse(String(row.request)) as RunRequest,
    tokenHash: String(row.token_hash),
    process: row.process === null ? null : JSON.parse(String(row.process)) as ProcessRecord
  }
}

/** Faults of the database become StoreUnavailableError; anything else (a bug, the audit failing) passes through. */
function unavailable (error: unknown): unknown {
  const errcode = (error as { errcode?: unknown } | null)?.errcode
  if (typeof errcode === 'number' && UNAVAILABLE.has(errcode & 0xff)) {
    return new StoreUnavailableError(`database unavailable: ${(error as Error).message}`, { cause: error })
  }
  if (error instanceof Error && /database is not open/.test(error.message)) {
    return new StoreUnavailableError('database is closed', { cause: error })
  }
  return error
}

/** A stored run; a final one never changes again and keeps the text it was stored as (GET answers with it). */
function runOf (text: string): Run {
  const run = JSON.parse(text) as Run
  if (FINAL_STATUSES.has(run.status)) keepJson(run, text)
  return run
}
