// The live file's descriptor and size. A record is one write of a whole line; if any part of the
// write fails, the file is cut back to its previous size, so it never holds a torn line and the
// caller can report the record as not written.
import { closeSync, constants, fdatasync, fdatasyncSync, fchmodSync, fstatSync, ftruncateSync, openSync, statSync, writeSync } from 'node:fs'
import { endOfLastLine, lastLine } from './tail.ts'

export class LiveFile {
  readonly path: string
  #fd: number | null
  #size: number
  readonly #dev: number
  readonly #ino: number
  /** Syncs under way on the thread pool, and a descriptor whose close waits for them. */
  #syncing = 0
  #closeAfterSync: number | null = null

  private constructor (path: string, fd: number) {
    this.path = path
    this.#fd = fd
    const stat = fstatSync(fd)
    this.#size = stat.size
    this.#dev = stat.dev
    this.#ino = stat.ino
  }

  /** Opens (creating, mode 0600) the live file. O_APPEND: every write lands at the end whatever else has the file open. */
  static open (path: string): LiveFile {
    const fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o600)
    try {
      // Rotated files keep this mode, so a log created under a loose umask is private from here on.
      fchmodSync(fd, 0o600)
      return new LiveFile(path, fd)
    } catch (err) {
      closeSync(fd)
      throw err
    }
  }

  get size (): number {
    return this.#size
  }

  /** False once a failed roll-back closed the descriptor. */
  get isOpen (): boolean {
    return this.#fd !== null
  }

  /** Whether `path` still names this file (not deleted, renamed or replaced behind our back). */
  stillLinked (): boolean {
    const stat = statSync(this.path, { throwIfNoEntry: false })
    return stat !== undefined && stat.ino === this.#ino && stat.dev === this.#dev
  }

  /** Whether the bytes from `offset` to the end hold no newline except a final one (at most one record's worth). */
  singleLineAfter (offset: number): boolean {
    if (this.#fd === null) return false
    return this.#size <= offset || endOfLastLine(this.#fd, this.#size - 1) <= offset
  }

  /**
   * Appends `data` whole or not at all.
   * @throws the operating-system error, after cutting the file back; if even that fails the
   *   descriptor is closed (`isOpen` false) and the owner must reopen and reconcile.
   */
  append (data: Buffer): void {
    const fd = this.#fd
    if (fd === null) throw closedError()
    const before = this.#size
    try {
      let done = 0
      // A short write (the size limit reached mid-line) is followed by the error on the next call.
      while (done < data.length) done += writeSync(fd, data, done, data.length - done)
    } catch (err) {
      this.#rollBack(before)
      throw err
    }
    this.#size = before + data.length
  }

  sync (): void {
    if (this.#fd === null) throw closedError()
    fdatasyncSync(this.#fd)
  }

  /**
   * fdatasync on libuv's thread pool. The descriptor stays open until the sync ends, even when close()
   * comes first: a number closed and reused under a running sync would sync some other file and
   * report this one durable.
   */
  syncInBackground (): Promise<void> {
    const fd = this.#fd
    if (fd === null) return Promise.reject(closedError())
    this.#syncing++
    return new Promise((resolve, reject) => fdatasync(fd, (error) => {
      if (--this.#syncing === 0 && this.#closeAfterSync !== null) {
        closeQuietly(this.#closeAfterSync)
        this.#closeAfterSync = null
      }
      if (error === null) resolve()
      else reject(error)
    }))
  }

  /** Cuts the file to `size` (a torn tail, or the rest of a record that was reported as not written). */
  truncate (size: number): void {
    if (this.#fd === null) throw closedError()
    ftruncateSync(this.#fd, size)
    this.#size = size
  }

  /** Bytes after the last newline: what a crash mid-write leaves behind. */
  tornBytes (): number {
    if (this.#fd === null || this.#size === 0) return 0
    return this.#size - endOfLastLine(this.#fd, this.#size)
  }

  /** The last complete line, ignoring any torn tail; null when there is none. */
  lastLine (): Buffer | null {
    if (this.#fd === null) return null
    return lastLine(this.#fd, endOfLastLine(this.#fd, this.#size))
  }

  /**
   * Whether `bytes` more could be appended right now: writes them past the end and cuts them off
   * again (a readiness probe for a log that failed; never used on the hot path).
   */
  canGrow (bytes: number): boolean {
    if (this.#fd === null) return false
    const probe = openSync(this.path, constants.O_WRONLY)
    try {
      // Near a size limit the kernel writes what fits and reports fewer bytes, not an error.
      return writeSync(probe, Buffer.alloc(bytes, 0x20), 0, bytes, this.#size) === bytes
    } catch {
      return false
    } finally {
      try { ftruncateSync(probe, this.#size) } catch { /* nothing was added */ }
      closeSync(probe)
    }
  }

  close (): void {
    const fd = this.#fd
    if (fd === null) return
    this.#fd = null
    if (this.#syncing > 0) this.#closeAfterSync = fd
    else closeQuietly(fd)
  }

  #rollBack (size: number): void {
    try {
      if (this.#fd !== null) ftruncateSync(this.#fd, size)
    } catch {
      this.close()
    }
  }
}

function closeQuietly (fd: number): void {
  try { closeSync(fd) } catch { /* already gone: nothing to release */ }
}

function closedError (): Error {
  return Object.assign(new Error('audit log descriptor closed'), { code: 'EBADF' })
}
