// One gateway per state directory, with real holder processes: a live holder keeps others out, a
// killed one's lock is taken over, and of gateways starting at once exactly one wins.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { currentBootId, processIdentity } from '../../src/proc/process-table.ts'
import { acquireStateLock, LOCK_FILE_NAME, removeLockIfUnchanged, StateLockedError } from '../../src/proc/state-lock.ts'
import { firstLine, fixture, isAlive, Spawned, waitFor } from './helpers.ts'

const spawned = new Spawned()
const dirs: string[] = []
const releases: Array<() => void> = []
afterEach(() => {
  spawned.killAll()
  for (const release of releases.splice(0)) release()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const stateDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-lock-'))
  dirs.push(dir)
  return join(dir, 'state') // not there yet: acquiring creates it
}
const lockFile = (dir: string): string => join(dir, LOCK_FILE_NAME)
const acquire = (dir: string) => {
  const lock = acquireStateLock(dir)
  releases.push(() => lock.release())
  return lock
}

interface Attempt { acquired: boolean, name?: string, message?: string }

/** proc-lock-holder.mjs: tries once (at `startAt` when given) and, if it got the lock, keeps it. */
function holder (dir: string, startAt?: number) {
  const child = spawned.start(process.execPath, [fixture('proc-lock-holder.mjs'), dir, ...(startAt === undefined ? [] : [String(startAt)])])
  return { pid: child.pid!, attempt: firstLine(child).then((line) => JSON.parse(line) as Attempt) }
}

/** The lock content of a process that is not us, whatever the test does with it. */
const lockOf = (pid: number, startTicks: number, bootId: string | null): string => `${JSON.stringify({ pid, startTicks, bootId })}\n`

describe('acquireStateLock', () => {
  it('creates the directory and a 0600 lock naming this process', () => {
    const dir = stateDir()
    acquire(dir)
    const me = processIdentity(process.pid)!
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toEqual({ pid: process.pid, startTicks: me.startTicks, bootId: me.bootId })
    expect(statSync(lockFile(dir)).mode & 0o777).toBe(0o600)
    expect(readdirSync(dir)).toEqual([LOCK_FILE_NAME]) // no temporary file left behind
  })

  it('keeps a second gateway out while the first lives, and lets it in after kill -9', async () => {
    const dir = stateDir()
    const first = holder(dir)
    expect(await first.attempt).toEqual({ acquired: true })

    let error: unknown
    try { acquire(dir) } catch (e) { error = e }
    expect(error).toBeInstanceOf(StateLockedError)
    expect((error as StateLockedError).pid).toBe(first.pid)
    expect((error as Error).message).toBe(`another hookgate (pid ${first.pid}) is using state directory ${dir}`)
    expect(await holder(dir).attempt).toMatchObject({ acquired: false, name: 'StateLockedError' })

    process.kill(first.pid, 'SIGKILL')
    expect(await waitFor(() => !isAlive(first.pid), 2000)).toBe(true)
    const lock = acquire(dir)
    expect(lock.held()).toBe(true)
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: process.pid })
  })

  it('refuses a second acquire in the same process', () => {
    const dir = stateDir()
    acquire(dir)
    expect(() => acquire(dir)).toThrow(`another hookgate (pid ${process.pid})`)
  })

  it('takes over a lock whose pid now belongs to another process (different start time)', async () => {
    const dir = stateDir()
    const other = holder(stateDir()) // any live process that is not us
    await other.attempt
    const real = processIdentity(other.pid)!
    acquire(dir).release()
    writeFileSync(lockFile(dir), lockOf(other.pid, real.startTicks + 1, real.bootId))
    expect(acquire(dir).held()).toBe(true)
    expect(isAlive(other.pid)).toBe(true) // taking the lock over touches no process
  })

  it('takes over a lock from another boot, and one that is not a lock at all', () => {
    const dir = stateDir()
    acquire(dir).release()
    const parent = processIdentity(process.ppid)! // alive, and this start time is right: only the boot differs
    writeFileSync(lockFile(dir), lockOf(process.ppid, parent.startTicks, '00000000-0000-0000-0000-000000000000'))
    acquire(dir).release()
    for (const junk of ['', '{"pid":', 'null', '{"pid":-4,"startTicks":1,"bootId":"x"}']) {
      writeFileSync(lockFile(dir), junk)
      const lock = acquire(dir)
      expect(lock.held()).toBe(true)
      lock.release()
    }
  })

  it('respects a live holder recorded by pid, start time and boot', () => {
    const dir = stateDir()
    acquire(dir).release()
    const parent = processIdentity(process.ppid)!
    writeFileSync(lockFile(dir), lockOf(process.ppid, parent.startTicks, currentBootId()))
    expect(() => acquire(dir)).toThrow(StateLockedError)
  })

  it('is not blocked by a takeover file that a crashed gateway left behind', () => {
    const dir = stateDir()
    acquire(dir).release()
    writeFileSync(lockFile(dir), lockOf(process.pid, 1, currentBootId())) // stale
    writeFileSync(`${lockFile(dir)}.takeover`, lockOf(process.pid, 2, currentBootId())) // stale too
    expect(acquire(dir).held()).toBe(true)
    expect(readdirSync(dir)).toEqual([LOCK_FILE_NAME])
  })

  it('waits for a live gateway that is taking a stale lock over, and gives up if it never finishes', () => {
    const dir = stateDir()
    acquire(dir).release()
    const parent = processIdentity(process.ppid)!
    writeFileSync(lockFile(dir), lockOf(process.pid, 1, currentBootId())) // stale
    writeFileSync(`${lockFile(dir)}.takeover`, lockOf(process.ppid, parent.startTicks, currentBootId())) // alive, stuck
    const started = performance.now()
    expect(() => acquire(dir)).toThrow('other gateways kept taking it over')
    expect(performance.now() - started).toBeGreaterThanOrEqual(200)
    expect(readFileSync(lockFile(dir), 'utf8')).toBe(lockOf(process.pid, 1, currentBootId())) // untouched
  })

  it('removes a stale file only if it still holds what was judged, never a live one that replaced it', () => {
    const dir = stateDir()
    acquire(dir).release()
    const stale = lockOf(process.pid, 1, currentBootId())
    const live = lockOf(process.ppid, processIdentity(process.ppid)!.startTicks, currentBootId())
    writeFileSync(lockFile(dir), live) // another gateway took over between our read and our removal
    removeLockIfUnchanged(lockFile(dir), stale)
    expect(readFileSync(lockFile(dir), 'utf8')).toBe(live)
    writeFileSync(lockFile(dir), stale)
    removeLockIfUnchanged(lockFile(dir), stale)
    expect(readdirSync(dir)).toEqual([])
    removeLockIfUnchanged(lockFile(dir), stale) // already gone: nothing to do
  })

  it('lets exactly one of several gateways starting at once win, over a stale lock', async () => {
    for (let round = 0; round < 5; round++) {
      const dir = stateDir()
      acquire(dir).release()
      writeFileSync(lockFile(dir), lockOf(process.pid, 1, currentBootId())) // our pid, wrong start: stale
      const startAt = Date.now() + 700
      const holders = Array.from({ length: 8 }, () => holder(dir, startAt))
      const attempts = await Promise.all(holders.map((h) => h.attempt))
      const winners = holders.filter((_, i) => attempts[i]!.acquired)
      expect(winners).toHaveLength(1)
      expect(attempts.filter((a) => !a.acquired).every((a) => a.name === 'StateLockedError')).toBe(true)
      expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: winners[0]!.pid })
      expect(readdirSync(dir)).toEqual([LOCK_FILE_NAME])
      spawned.killAll()
    }
  })
})

describe('release', () => {
  it('removes the lock, is idempotent, and lets the next gateway in', () => {
    const dir = stateDir()
    const lock = acquire(dir)
    lock.release()
    expect(readdirSync(dir)).toEqual([])
    expect(lock.held()).toBe(false)
    lock.release()
    expect(acquire(dir).held()).toBe(true)
  })

  it('leaves a lock alone that is no longer ours', () => {
    const dir = stateDir()
    const lock = acquire(dir)
    const someoneElse = lockOf(process.ppid, 12345, currentBootId())
    writeFileSync(lockFile(dir), someoneElse) // as if another gateway had judged us dead and taken over
    expect(lock.held()).toBe(false)
    lock.release()
    expect(readFileSync(lockFile(dir), 'utf8')).toBe(someoneElse)
  })

  it('a holder killed with kill -9 never released, yet its lock does not block', async () => {
    const dir = stateDir()
    const first = holder(dir)
    await first.attempt
    process.kill(first.pid, 'SIGKILL')
    expect(await waitFor(() => !isAlive(first.pid), 2000)).toBe(true)
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: first.pid }) // still there
    expect(await holder(dir).attempt).toEqual({ acquired: true })
  })
})
