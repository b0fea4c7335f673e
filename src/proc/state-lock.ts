// At most one gateway per state directory: two would both recover "crashed" runs, kill each other's
// agents and write one database. The lock is a file naming its holder by (pid, startTicks, bootId),
// so a lock left by a gateway that died (kill -9, OOM, power loss) is recognised as stale even when
// its pid now belongs to another process, and is taken over without an operator.
//
// Creating: the content is written to a private temporary file (O_EXCL, 0600) that is then hard-linked
// to gateway.lock. link() fails with EEXIST exactly like O_EXCL, but the name only ever appears with
// its whole content, so a reader never mistakes a lock being written for an empty, stale one.
//
// Taking over a stale lock: removing it is the one dangerous step (a gateway that read the stale lock,
// then was slow, could remove a live lock that replaced it). So only the holder of a second file,
// gateway.lock.takeover (created the same exclusive way, held for microseconds), may remove
// gateway.lock, and only if it still holds exactly what was judged stale. While it holds the takeover
// file nobody else removes gateway.lock (its dead owner cannot release it), so that check stays true.
// Everyone else, the remover included, then races to create gateway.lock, and exactly one wins.
//
// Remaining race: a gateway that dies while holding the takeover file leaves it stale. That one is
// removed by renaming it aside and comparing (see removeLockIfUnchanged); if, at that very moment,
// three more gateways start on the same directory, two can end up holding the takeover file and both
// take the lock. It needs a crash inside a microseconds-long window plus three simultaneous starts;
// `held()` lets a holder check that its lock is still in place.
import { randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isDead, processIdentity } from './process-table.ts'

export const LOCK_FILE_NAME = 'gateway.lock'

export class StateLockedError extends Error {
  readonly pid: number
  readonly stateDir: string

  constructor (pid: number, stateDir: string) {
    super(`another hookgate (pid ${pid}) is using state directory ${stateDir}`)
    this.name = 'StateLockedError'
    this.pid = pid
    this.stateDir = stateDir
  }
}

export interface StateLock {
  /** Removes the lock file if it is still ours; idempotent, never throws. */
  release (): void
  /** Whether the lock file still names this process. */
  held (): boolean
}

interface Holder {
  pid: number
  /** Null where there is no /proc (not Linux): only the pid was recorded. */
  startTicks: number | null
  bootId: string | null
}

/** Attempts while others take a stale lock over; each waits a millisecond, so about a quarter second. */
const MAX_ATTEMPTS = 250

/**
 * Takes the lock of `stateDir` (created, mode 0700, if missing) for this process. Throws
 * StateLockedError when a live gateway holds it, including this very process.
 */
export function acquireStateLock (stateDir: string): StateLock {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  const lockPath = join(stateDir, LOCK_FILE_NAME)
  const takeoverPath = `${lockPath}.takeover`
  const mine = lockText(selfHolder())
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (publish(lockPath, mine)) return handle(lockPath, mine)
    const seen = readOrNull(lockPath)
    if (seen === null) continue // its holder released it between our link and our read
    const holder = parseHolder(seen)
    if (holder !== null && isAlive(holder)) throw new StateLockedError(holder.pid, stateDir)
    if (publish(takeoverPath, mine)) {
      try {
        if (readOrNull(lockPath) === seen) unlinkSync(lockPath)
      } finally {
        try { unlinkSync(takeoverPath) } catch {}
      }
      continue
    }
    const taker = readOrNull(takeoverPath)
    const takerHolder = taker === null ? null : parseHolder(taker)
    if (taker !== null && (takerHolder === null || !isAlive(takerHolder))) {
      removeLockIfUnchanged(takeoverPath, taker) // its holder died in the middle of a takeover
    } else {
      pause(1)
    }
  }
  throw new Error(`could not take the lock ${lockPath}: other gateways kept taking it over`)
}

function handle (lockPath: string, mine: string): StateLock {
  let released = false
  return {
    release () {
      if (released) return
      released = true
      // Only while it is ours: a gateway that took over (it judged us dead) must keep its lock.
      if (readOrNull(lockPath) !== mine) return
      try { unlinkSync(lockPath) } catch {}
    },
    held: () => !released && readOrNull(lockPath) === mine
  }
}

function selfHolder (): Holder {
  const identity = processIdentity(process.pid)
  return { pid: process.pid, startTicks: identity?.startTicks ?? null, bootId: identity?.bootId ?? null }
}

function lockText (holder: Holder): string {
  return `${JSON.stringify(holder)}\n`
}

/** True when the lock now names us; false when a lock file already exists. */
function publish (lockPath: string, content: string): boolean {
  const temporary = `${lockPath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(temporary, content, { flag: 'wx', mode: 0o600 })
  try {
    linkSync(temporary, lockPath)
    return true
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false
    throw error
  } finally {
    try { unlinkSync(temporary) } catch {}
  }
}

/**
 * Removes a lock file (here: a stale takeover file) only if it still holds `judged`; a live one that
 * replaced it meanwhile is put back. Exported for the tests, which cannot time that race reliably.
 */
export function removeLockIfUnchanged (lockPath: string, judged: string): void {
  const aside = `${lockPath}.${process.pid}.${randomBytes(6).toString('hex')}.stale`
  try {
    renameSync(lockPath, aside)
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return // someone else removed it first
    throw error
  }
  if (readOrNull(aside) !== judged) {
    // Not the stale lock any more but a live gateway's, taken after we read: put it back.
    try { linkSync(aside, lockPath) } catch {} // EEXIST: the race described at the top
  }
  try { unlinkSync(aside) } catch {}
}

/**
 * Alive means the same process as the one that wrote the lock: same pid, same start time, same boot,
 * and not a zombie. Without /proc only "some process has this pid" can be checked.
 */
function isAlive (holder: Holder): boolean {
  if (holder.startTicks === null || holder.bootId === null) return pidExists(holder.pid)
  const identity = processIdentity(holder.pid)
  if (identity === null) return false
  return identity.bootId === holder.bootId && identity.startTicks === holder.startTicks && !isDead(identity)
}

/** A synchronous sleep: acquiring happens once, at start-up, before anything else runs. */
function pause (ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function pidExists (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errorCode(error) === 'EPERM'
  }
}

/**
 * Null for anything not written by lockText(): such a file cannot name a live gateway (ours appear
 * whole), e.g. an empty file left by a power loss before its data reached the disk.
 */
function parseHolder (text: string): Holder | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const { pid, startTicks, bootId } = value as Record<string, unknown>
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return null
  if (startTicks !== null && (typeof startTicks !== 'number' || !Number.isSafeInteger(startTicks))) return null
  if (bootId !== null && typeof bootId !== 'string') return null
  return { pid, startTicks, bootId }
}

function readOrNull (path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

function errorCode (error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code
}
