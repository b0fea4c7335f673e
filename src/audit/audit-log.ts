// The audit log: one JSON object per line, each chained to the previous one by an
// HMAC, written synchronously so a record is on its way to disk before the answer it explains is
// sent. See docs/audit.md for the format, rotation, the head anchor and what tampering it detects.
//
// Appends are synchronous on purpose: an append runs to completion before any other code, so a
// burst of appends and a rotation can never interleave, and no record is lost or doubled. Records that
// may wait for the end of the event-loop turn (a request's, a refusal's) are appended as a group,
// still by one synchronous write, before anyone waiting on them answers (append-group.ts). Only the
// fdatasync that carries lifecycle records through a power loss is not: it runs on the thread pool,
// one for every record written meanwhile (group commit), and whoever must not go on before those
// records are on disk awaits synced().
import type { KeyObject } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { GroupSync } from '../fs/group-sync.ts'
import { AppendGroup } from './append-group.ts'
import { basename, join } from 'node:path'
import { AuditStateError, AuditWriteError, errnoCode } from './errors.ts'
import { layoutOf, listRotated, LIVE_FILE, rotatedName, type LogLayout } from './files.ts'
import { HeadAnchor, type Head } from './head-anchor.ts'
import { createKey, KEY_FILE, readKey } from './key.ts'
import { LiveFile } from './live-file.ts'
import { PendingLines, type FormattedLine } from './pending-lines.ts'
import { recover } from './recover.ts'
import { DURABLE_EVENTS, FILE_START_REASONS, formatRecord, parseLine, REASON, type AuditEntry, type AuditEventName } from './record.ts'

import { findAccepted } from './find-accepted.ts'
export { chainHash, GENESIS, type AuditEntry, type AuditEventName } from './record.ts'
export { AuditError, AuditStateError, AuditWriteError } from './errors.ts'

export interface AuditSink {
  append (entry: AuditEntry): void
  /**
   * Appends with the other records of this event-loop turn, in one write; settles once the record is
   * written (not synced), rejects when it could not be. Sinks without a file may leave it out.
   */
  appendGrouped? (entry: AuditEntry): Promise<void>
  /** False while the log cannot be written (for readiness); sinks that cannot fail may leave it out. */
  healthy? (): boolean
  /** Of these runs, the ones whose `accepted` record the log holds (searching back to `sinceMs`). */
  findAccepted? (runIds: ReadonlySet<string>, sinceMs: number): Set<string>
  /** Like healthy(), but may try to recover first (reopen, test for space); for readiness probes. */
  probe? (): boolean
  /** Settles once every lifecycle record appended so far is on disk; sinks without a disk leave it out. */
  synced? (): Promise<void>
}

export const DEFAULT_ROTATE_BYTES = 64 * 1024 * 1024

export interface AuditLogOptions {
  /** Rotate before the live file would grow past this many bytes (default 64 MiB). A file always takes at least one record. */
  readonly rotateBytes?: number
  /** Events whose records are fdatasync'ed before `append` returns (default: the lifecycle events and `config`). */
  readonly durableEvents?: ReadonlySet<AuditEventName>
}

/** What a readiness probe may write past the end to test for space (a generous record). */
const PROBE_BYTES = 4096

export class AuditLog implements AuditSink {
  /** The live file, `<state_dir>/audit.jsonl`. */
  readonly path: string
  readonly #layout: LogLayout
  readonly #key: KeyObject
  readonly #now: () => number
  readonly #rotateBytes: number
  readonly #durable: ReadonlySet<AuditEventName>
  readonly #anchor: HeadAnchor
  #live: LiveFile | null
  #seq: number
  #prev: string
  /** Why the next file starts, written as its first record: our own rotation, or a file that vanished. */
  #startReason: string = REASON.reopened
  #previousFile: string | null = null
  #fault: string | null = null
  #anchorStale = false
  /** The anchor is behind only because a lifecycle record is not yet synced (not a fault). */
  #anchorWaits = false
  #closed = false
  /** The newest lifecycle record, and how far the log is known to be on disk. */
  #durableSeq = 0
  #syncedSeq = 0
  readonly #sync = new GroupSync(() => this.#syncLive())
  readonly #group = new AppendGroup<AuditEntry>((entries) => { this.#writeEntries(entries) })

  /**
   * Opens (creating if needed) the log in `stateDir` and recovers its chain state.
   * @throws AuditStateError when the log cannot be continued without forking its chain
   * @throws AuditWriteError when the start-up records cannot be written
   */
  constructor (stateDir: string, now: () => number = Date.now, options: AuditLogOptions = {}) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 })
    this.#layout = layoutOf(join(stateDir, LIVE_FILE))
    this.path = this.#layout.livePath
    this.#now = now
    this.#rotateBytes = options.rotateBytes ?? DEFAULT_ROTATE_BYTES
    this.#durable = options.durableEvents ?? DURABLE_EVENTS
    const rotated = listRotated(this.#layout)
    this.#previousFile = rotated.at(-1)?.name ?? null
    const live = LiveFile.open(this.path)
    this.#live = live
    try {
      const keyPath = join(stateDir, KEY_FILE)
      let key = readKey(keyPath)
      const keyIsNew = key === null
      if (key === null) {
        // A new key next to old records would make every one of them fail verification.
        if (live.size > 0 || rotated.length > 0 || existsSync(this.#layout.anchorPath)) {
          throw new AuditStateError(`${keyPath} is missing but the audit log has records: restore the key, or move the audit files aside to start a new chain`)
        }
        key = createKey(keyPath)
      }
      this.#key = key
      this.#anchor = new HeadAnchor(this.#layout.anchorPath, key)
      const { head, incidents } = recover(this.#layout, key, live, rotated, keyIsNew)
      this.#seq = head.seq
      this.#prev = head.hash
      // An empty live file after records means a crash between rotation's rename and its first record.
      if (live.size === 0 && this.#seq > 0) this.#startReason = REASON.rotated
      for (const incident of incidents) this.append(incident)
      this.#syncNow()
      // Always, so a log opened and closed before its first record still has an anchor next time.
      this.#anchorStale = true
      this.#writeAnchor()
      if (this.#anchorStale) throw new AuditWriteError(basename(this.#layout.anchorPath), this.#fault ?? 'EUNKNOWN')
    } catch (err) {
      this.close()
      throw err
    }
  }

  /** The newest record's seq and hash (seq 0 and the genesis hash before the first). */
  get head (): Head {
    return { seq: this.#seq, hash: this.#prev }
  }

  /**
   * Appends one record; lifecycle records are also fdatasync'ed. Rotates first when the record
   * would take the live file past the limit. Records waiting in a group are written first.
   * @throws AuditWriteError when the record could not be written: it is not in the log, the chain
   *   did not advance, and the next call tries again (reopening the file if needed).
   */
  append (entry: AuditEntry): void {
    if (this.#closed) throw new AuditWriteError(LIVE_FILE, 'ECLOSED')
    this.#group.flush()
    this.#writeEntries([entry])
  }

  /**
   * Appends `entry` with every other record appended in this event-loop turn: one write and one
   * anchor update for the group. Settles once the group is written (before the caller answers);
   * rejects with AuditWriteError when it was not (the chain then holds none of the group's records,
   * unless a rotation split the group and the write after it failed).
   */
  appendGrouped (entry: AuditEntry): Promise<void> {
    if (this.#closed) return Promise.reject(new AuditWriteError(LIVE_FILE, 'ECLOSED'))
    return this.#group.add(entry)
  }

  /** Starts a new live file now (if the current one holds anything); the chain continues across it. */
  rotate (): void {
    if (this.#closed) throw new AuditWriteError(LIVE_FILE, 'ECLOSED')
    this.#group.flush()
    try {
      if (this.#ensureLive().size > 0) this.#rotate()
    } catch (err) {
      throw this.#failed(err)
    }
  }

  /** True unless the last write failed or the head anchor is behind. No I/O: cheap enough for every readiness check. */
  healthy (): boolean {
    return !this.#closed && this.#fault === null && !(this.#anchorStale && !this.#anchorWaits) && this.#live?.isOpen === true
  }

  /**
   * For readiness while unhealthy: reopens the file if needed, brings the anchor up to date and
   * tests that a record would fit (by writing past the end and cutting it off). Returns healthy().
   */
  probe (): boolean {
    if (this.#closed) return false
    if (this.healthy()) return true
    try {
      const live = this.#ensureLive()
      this.#writeAnchor()
      this.#fault = live.canGrow(PROBE_BYTES) ? null : 'EFBIG'
    } catch (err) {
      this.#fault = errnoCode(err)
    }
    return this.healthy()
  }

  findAccepted (runIds: ReadonlySet<string>, sinceMs: number): Set<string> {
    return findAccepted(this.#layout, runIds, sinceMs)
  }

  /**
   * Settles once every lifecycle record appended before the call is on disk (one fdatasync shared with
   * whoever else is waiting). Rejects when the sync fails; the log then reports itself unhealthy.
   */
  async synced (): Promise<void> {
    const target = this.#durableSeq
    while (this.#syncedSeq < target) {
      if (this.#closed) throw new AuditWriteError(LIVE_FILE, 'ECLOSED')
      await this.#sync.sync()
    }
  }

  close (): void {
    try {
      if (!this.#closed) {
        this.#group.flush()
        this.#syncNow()
      }
    } catch {
      // Closing anyway: what could not be synced is still in the file.
    }
    this.#closed = true
    this.#live?.close()
    this.#anchor?.close()
  }

  /**
   * One group sync of the live file on the thread pool. Records written before it starts are in the
   * file it syncs, or in a rotated one that rotation synced before renaming it.
   */
  async #syncLive (): Promise<void> {
    const upTo = this.#seq
    const live = this.#live
    try {
      if (live?.isOpen === true) {
        await live.syncInBackground()
      } else {
        // Closed by a failed roll-back: the file at the path is what the next append continues.
        const handle = await open(this.path, 'r')
        try {
          await handle.datasync()
        } finally {
          await handle.close()
        }
      }
    } catch (err) {
      this.#fault ??= errnoCode(err)
      throw err
    }
    this.#synced(upTo)
  }

  /** Synchronously, for start-up, rotation and close, where waiting is right. */
  #syncNow (): void {
    if (this.#syncedSeq >= this.#durableSeq || this.#live?.isOpen !== true) return
    this.#live.sync()
    this.#synced(this.#seq)
  }

  #synced (upTo: number): void {
    if (upTo <= this.#syncedSeq) return
    this.#syncedSeq = upTo
    if (this.#anchorWaits && !this.#closed) this.#writeAnchor()
  }

  /**
   * Writes `entries` in order, as few writes as rotation allows (one, unless the file fills up), then
   * brings the anchor up to date once. The chain advances only for what is in the file.
   */
  #writeEntries (entries: readonly AuditEntry[]): void {
    try {
      this.#appendAll(entries)
      this.#fault = null
    } catch (err) {
      // An entry JSON cannot hold (a BigInt) is the caller's bug, not a fault of the log.
      if (err instanceof UnformattableEntry) throw err.cause
      throw this.#failed(err)
    } finally {
      this.#writeAnchor()
    }
  }

  #appendAll (entries: readonly AuditEntry[]): void {
    let live = this.#ensureLive()
    // One timestamp per write: the group is written at one moment.
    const ts = new Date(this.#now()).toISOString()
    const pending = new PendingLines(this.#seq, this.#prev)
    for (const entry of entries) {
      let record = this.#format(pending, ts, entry)
      const size = live.size + pending.bytes
      if (size > 0 && size + record.bytes > this.#rotateBytes) {
        this.#commit(live, pending)
        live = this.#rotate()
      }
      if (live.size + pending.bytes === 0 && pending.seq > 0 && !isFileStart(entry)) {
        const previous = this.#startReason === REASON.rotated ? { previous: this.#previousFile } : {}
        pending.add(this.#format(pending, ts, { event: 'config', reason: this.#startReason, ...previous }), this.#durable.has('config'))
        record = this.#format(pending, ts, entry)
      }
      pending.add(record, this.#durable.has(entry.event))
    }
    this.#commit(live, pending)
  }

  #format (pending: PendingLines, ts: string, entry: AuditEntry): FormattedLine {
    let formatted
    try {
      formatted = formatRecord(this.#key, pending.seq + 1, ts, entry, pending.hash)
    } catch (err) {
      throw new UnformattableEntry(err)
    }
    return { line: formatted.line, hash: formatted.hash, bytes: Buffer.byteLength(formatted.line) }
  }

  /** Writes the pending lines with one write; advances the chain only once they are in the file. */
  #commit (live: LiveFile, pending: PendingLines): void {
    if (pending.count === 0) return
    live.append(pending.take())
    this.#seq = pending.seq
    this.#prev = pending.hash
    this.#anchorStale = true
    if (pending.durableSeq > this.#durableSeq) {
      this.#durableSeq = pending.durableSeq
      // Started now, whoever awaits it: a lifecycle record reaches the disk within one sync.
      this.synced().catch(() => {})
    }
  }

  /** Remembers the fault for healthy() and turns it into the error `append` throws. */
  #failed (err: unknown): Error {
    if (err instanceof AuditStateError) {
      this.#fault = 'ESTATE'
      return err
    }
    this.#fault = err instanceof AuditWriteError ? err.code : errnoCode(err)
    return err instanceof AuditWriteError ? err : new AuditWriteError(LIVE_FILE, this.#fault, err)
  }

  #writeAnchor (): void {
    if (!this.#anchorStale) return
    // The anchor never names a record a power loss could take back: it waits for the sync.
    this.#anchorWaits = this.#syncedSeq < this.#durableSeq
    if (this.#anchorWaits) return
    try {
      this.#anchor.write({ seq: this.#seq, hash: this.#prev })
      this.#anchorStale = false
    } catch (err) {
      // The record itself is written; a stale anchor only weakens tail-truncation detection
      // until the next append rewrites it, so it is reported as unhealthy, not as a failed append.
      this.#fault ??= errnoCode(err)
    }
  }

  #rotate (): LiveFile {
    const live = this.#live!
    // Everything in the file reaches the disk before it gets its final name.
    live.sync()
    this.#synced(this.#seq)
    // Listed now, not remembered: an operator may have rotated or pruned files by hand meanwhile.
    const name = rotatedName(this.#layout.base, (listRotated(this.#layout).at(-1)?.index ?? 0) + 1)
    const target = join(this.#layout.dir, name)
    if (existsSync(target)) throw new AuditStateError(`cannot rotate the audit log: ${name} already exists`)
    renameSync(this.path, target)
    this.#previousFile = name
    this.#startReason = REASON.rotated
    live.close()
    this.#live = null
    const next = LiveFile.open(this.path)
    this.#live = next
    syncDirectory(this.#layout.dir)
    return next
  }

  /**
   * The live file, reopened when a failed roll-back closed it or someone removed or renamed it.
   * A file found at the path is continued only if it ends with our newest record.
   */
  #ensureLive (): LiveFile {
    const old = this.#live
    if (old?.isOpen === true && old.stillLinked()) return old
    // Decided before closing: once closed, a new file may get the old inode number.
    const replaced = old === null || old.isOpen
    const expectedSize = replaced ? null : old.size
    old?.close()
    this.#live = null
    const live = LiveFile.open(this.path)
    try {
      // Closed by a failed roll-back: what is past our size is the rest of the one record that failed.
      if (expectedSize !== null && live.size > expectedSize) {
        if (!live.singleLineAfter(expectedSize)) throw new AuditStateError(`${LIVE_FILE} grew by more than one record while it was closed; refusing to append to it`)
        live.truncate(expectedSize)
      }
      if (live.size > 0) this.#checkContinues(live)
      else if (replaced && old !== null) this.#startReason = REASON.reopened
    } catch (err) {
      live.close()
      throw err
    }
    this.#live = live
    return live
  }

  #checkContinues (live: LiveFile): void {
    if (live.tornBytes() > 0) live.truncate(live.size - live.tornBytes())
    const line = live.lastLine()
    const parsed = line === null ? null : parseLine(this.#key, line)
    if (parsed?.ok !== true || parsed.record.seq !== this.#seq || parsed.record.hash !== this.#prev) {
      throw new AuditStateError(`${LIVE_FILE} was replaced by a file that does not end with the newest record (seq ${this.#seq}); refusing to append to it`)
    }
  }
}

/** Carries a formatting error out of a write, so it is not taken for a fault of the log. */
class UnformattableEntry extends Error {
  constructor (cause: unknown) {
    super('audit entry cannot be formatted', { cause })
  }
}

function isFileStart (entry: AuditEntry): boolean {
  return entry.event === 'config' && typeof entry.reason === 'string' && FILE_START_REASONS.has(entry.reason)
}

/** Makes a rename durable; best effort, since the rename itself has already happened. */
function syncDirectory (dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    try { fsyncSync(fd) } finally { closeSync(fd) }
  } catch { /* a file system without directory fsync: the rename still stands */ }
}
