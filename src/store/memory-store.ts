// `store: memory`: the same contract as the SQLite store, kept in this process only (tests, throwaway
// gateways). Everything is gone on restart, which the config warns about. Bounded like the others:
// events per run by the caller's `keepFromSeq`, runs by retention and `maxRuns`.
import type { Run, RunEvent, RunStatus } from '../schemas/run.ts'
import { eventSize } from '../runs/event-json.ts'
import {
  type CreateResult, type EventPage, type NewRun, type ProcessRecord, type PruneResult,
  type RunListFilter, type RunStore, type StoredConfirmation, type StoredRun, type StoredSession,
  type DeliveryChannel, type StoredDelivery
} from './run-store.ts'

interface Entry extends StoredRun {
  events: RunEvent[]
  eventBytes: number
  deliveries: Map<DeliveryChannel, StoredDelivery>
}


export class MemoryStore implements RunStore {
  readonly kind = 'memory'
  /** Insertion order is acceptance order. */
  readonly #runs = new Map<string, Entry>()
  readonly #keys = new Map<string, { runId: string, expiresAt: number }>()
  readonly #confirmations: StoredConfirmation[] = []
  readonly #sessions = new Map<string, StoredSession>()
  readonly #maxRuns: number
  readonly #maxEventBytes: number
  #eventBytes = 0
  #nextConfirmation = 1

  /**
   * `maxEventBytes` bounds the events of all runs together: past it, the oldest finished runs keep
   * only their result (a late reader gets `reset` and the result).
   */
  constructor (opts: { maxRuns?: number, maxEventBytes?: number } = {}) {
    this.#maxRuns = opts.maxRuns ?? 10_000
    this.#maxEventBytes = opts.maxEventBytes ?? 64 * 1024 * 1024
  }

  async createRun (input: NewRun, afterCommit?: () => void): Promise<CreateResult> {
    for (const key of input.keys) {
      const hit = this.#keys.get(key)
      if (hit === undefined) continue
      const existing = this.#runs.get(hit.runId)
      if (hit.expiresAt > input.now && existing !== undefined) return { created: false, existing: copy(existing) }
      this.#keys.delete(key)
    }
    this.#runs.set(input.run.id, { run: structuredClone(input.run), request: structuredClone(input.request), tokenHash: input.tokenHash, process: null, events: [], eventBytes: 0, deliveries: new Map() })
    for (const channel of input.deliveries ?? []) {
      this.#runs.get(input.run.id)!.deliveries.set(channel, { runId: input.run.id, channel, state: 'pending', attempts: 0, nextAt: 0, progress: { sent: 0 }, error: null })
    }
    for (const key of input.keys) this.#keys.set(key, { runId: input.run.id, expiresAt: input.keysExpireAt })
    try {
      afterCommit?.()
    } catch (error) {
      await this.deleteRun(input.run.id)
      throw error
    }
    this.#evictFinished()
    return { created: true }
  }

  async deleteRun (id: string): Promise<void> {
    const entry = this.#runs.get(id)
    if (entry === undefined) return
    this.#eventBytes -= entry.eventBytes
    this.#runs.delete(id)
    for (const [key, hit] of this.#keys) if (hit.runId === id) this.#keys.delete(key)
  }

  async getRun (id: string): Promise<StoredRun | null> {
    const entry = this.#runs.get(id)
    return entry === undefined ? null : copy(entry)
  }

  async findByKeys (keys: readonly string[], now: number): Promise<StoredRun | null> {
    for (const key of keys) {
      const hit = this.#keys.get(key)
      const entry = hit !== undefined && hit.expiresAt > now ? this.#runs.get(hit.runId) : undefined
      if (entry !== undefined) return copy(entry)
    }
    return null
  }

  async updateRun (run: Run): Promise<void> {
    const entry = this.#runs.get(run.id)
    if (entry !== undefined) entry.run = structuredClone(run)
  }

  async setProcess (id: string, process: ProcessRecord): Promise<void> {
    const entry = this.#runs.get(id)
    if (entry !== undefined) entry.process = { ...process }
  }

  async appendEvents (id: string, events: readonly RunEvent[], keepFromSeq: number): Promise<void> {
    const entry = this.#runs.get(id)
    if (entry === undefined) return
    const last = entry.events.at(-1)?.seq ?? 0
    for (const e of events) {
      if (e.seq <= last || e.seq < keepFromSeq) continue
      entry.events.push(e)
      this.#resize(entry, eventSize(e))
    }
    const drop = entry.events.findIndex((e) => e.seq >= keepFromSeq)
    this.#dropEvents(entry, drop === -1 ? entry.events.length : drop)
    if (this.#eventBytes > this.#maxEventBytes) this.#shrinkFinished()
  }

  #resize (entry: Entry, delta: number): void {
    entry.eventBytes += delta
    this.#eventBytes += delta
  }

  #dropEvents (entry: Entry, count: number): void {
    for (const e of entry.events.splice(0, count)) this.#resize(entry, -eventSize(e))
  }

  #shrinkFinished (): void {
    for (const entry of this.#runs.values()) {
      if (this.#eventBytes <= this.#maxEventBytes) return
      if (entry.run.status !== 'queued' && entry.run.status !== 'running') this.#dropEvents(entry, entry.events.length - 1)
    }
  }

  async readEvents (id: string, afterSeq: number, limit: number): Promise<EventPage> {
    const events = this.#runs.get(id)?.events ?? []
    const first = events[0]?.seq
    // A cursor beyond the newest event was never handed out: the reader starts over.
    const reset = first !== undefined && (afterSeq + 1 < first || afterSeq > (events.at(-1) as RunEvent).seq)
    const from = reset ? 0 : events.findIndex((e) => e.seq > afterSeq)
    return { events: from === -1 ? [] : events.slice(from, from + limit), reset }
  }

  async lastSeq (id: string): Promise<number> {
    return this.#runs.get(id)?.events.at(-1)?.seq ?? 0
  }

  async listRuns (filter: RunListFilter): Promise<Run[]> {
    const all = [...this.#runs.values()]
    const { before } = filter
    const at = before === undefined ? all.length : all.findIndex((e) => e.run.id === before)
    const older = at !== -1 ? all.slice(0, at) : all.filter((e) => e.run.id < (before as string))
    const out: Run[] = []
    for (let i = older.length - 1; i >= 0 && out.length < filter.limit; i--) {
      const { run } = older[i] as Entry
      if (filter.caller !== undefined && run.caller !== filter.caller) continue
      if (filter.status !== undefined && run.status !== filter.status) continue
      out.push(structuredClone(run))
    }
    return out
  }

  async unfinishedRuns (): Promise<StoredRun[]> {
    return [...this.#runs.values()].filter((e) => e.run.status === 'queued' || e.run.status === 'running').map(copy)
  }

  async countByStatus (): Promise<Partial<Record<RunStatus, number>>> {
    const counts: Partial<Record<RunStatus, number>> = {}
    for (const { run } of this.#runs.values()) counts[run.status] = (counts[run.status] ?? 0) + 1
    return counts
  }

  async addConfirmation (c: Omit<StoredConfirmation, 'id'>, bounds: { perOwner: number, total: number }): Promise<void> {
    this.#confirmations.push({ ...c, id: this.#nextConfirmation++ })
    const mine = this.#confirmations.filter((x) => x.owner === c.owner)
    for (const old of mine.slice(0, Math.max(0, mine.length - bounds.perOwner))) this.#removeConfirmation(old.id)
    this.#confirmations.splice(0, Math.max(0, this.#confirmations.length - bounds.total))
  }

  async confirmationsOf (owner: string, now: number): Promise<StoredConfirmation[]> {
    return this.#confirmations.filter((c) => c.owner === owner && c.expiresAt > now).map((c) => ({ ...c }))
  }

  async deleteConfirmation (id: number): Promise<boolean> {
    return this.#removeConfirmation(id)
  }

  async pendingDeliveries (): Promise<StoredDelivery[]> {
    const pending: StoredDelivery[] = []
    for (const entry of this.#runs.values()) {
      for (const d of entry.deliveries.values()) if (d.state === 'pending') pending.push(structuredClone(d))
    }
    return pending
  }

  async getDelivery (runId: string, channel: DeliveryChannel): Promise<StoredDelivery | null> {
    const d = this.#runs.get(runId)?.deliveries.get(channel)
    return d === undefined ? null : structuredClone(d)
  }

  async updateDelivery (d: StoredDelivery): Promise<void> {
    const entry = this.#runs.get(d.runId)
    if (entry?.deliveries.has(d.channel) === true) entry.deliveries.set(d.channel, structuredClone(d))
  }

  async prune (runsBefore: number, now: number): Promise<PruneResult> {
    let runs = 0
    for (const [id, { run }] of this.#runs) {
      if (run.finished_at !== null && Date.parse(run.finished_at) < runsBefore) {
        this.#eventBytes -= (this.#runs.get(id) as Entry).eventBytes
        this.#runs.delete(id)
        runs++
      }
    }
    let keys = 0
    for (const [key, hit] of this.#keys) {
      if (hit.expiresAt <= now) {
        this.#keys.delete(key)
        keys++
      }
    }
    const before = this.#confirmations.length
    for (const c of [...this.#confirmations]) if (c.expiresAt <= now) this.#removeConfirmation(c.id)
    for (const [key, s] of this.#sessions) if (s.lastUsedAt < runsBefore) this.#sessions.delete(key)
    return { runs, keys, confirmations: before - this.#confirmations.length }
  }

  async getSession (key: string): Promise<StoredSession | null> {
    const s = this.#sessions.get(key)
    return s === undefined ? null : { ...s }
  }

  async putSession (session: StoredSession): Promise<void> {
    this.#sessions.set(session.key, { ...session })
  }

  async deleteSession (key: string): Promise<boolean> {
    return this.#sessions.delete(key)
  }

  async probe (): Promise<void> {}

  async close (): Promise<void> {}

  #removeConfirmation (id: number): boolean {
    const at = this.#confirmations.findIndex((c) => c.id === id)
    if (at === -1) return false
    this.#confirmations.splice(at, 1)
    return true
  }

  /** Past `maxRuns`, the oldest finished runs go first; active runs are never dropped. */
  #evictFinished (): void {
    if (this.#runs.size <= this.#maxRuns) return
    for (const [id, { run }] of this.#runs) {
      if (this.#runs.size <= this.#maxRuns) break
      if (run.status !== 'queued' && run.status !== 'running') {
        this.#eventBytes -= (this.#runs.get(id) as Entry).eventBytes
        this.#runs.delete(id)
      }
    }
  }
}

function copy (entry: StoredRun): StoredRun {
  return { run: structuredClone(entry.run), request: structuredClone(entry.request), tokenHash: entry.tokenHash, process: entry.process === null ? null : { ...entry.process } }
}
