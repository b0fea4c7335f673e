// Who holds the state directory's lock, read without touching it: taking the lock to test it, even for
// a moment, could make a gateway starting at that moment refuse to start. The file is the JSON that
// src/proc/state-lock.ts writes (pid, start time in ticks, boot id); alive means that very process
// (same pid, start time and boot), as the lock itself judges it.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isDead, processIdentity } from '../proc/process-table.ts'
import { LOCK_FILE_NAME } from '../proc/state-lock.ts'

export type LockHolder = { state: 'free' } | { state: 'held', pid: number } | { state: 'stale', pid: number } | { state: 'unreadable', why: string }

export function lockHolder (stateDir: string): LockHolder {
  let text: string
  try {
    text = readFileSync(join(stateDir, LOCK_FILE_NAME), 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? { state: 'free' } : { state: 'unreadable', why: code ?? (error as Error).message }
  }
  let holder: { pid?: unknown, startTicks?: unknown, bootId?: unknown }
  try {
    holder = JSON.parse(text) as typeof holder
  } catch {
    // Not written whole (a power loss): it names nobody, and the next start replaces it.
    return { state: 'free' }
  }
  const { pid, startTicks, bootId } = holder ?? {}
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return { state: 'free' }
  return isAlive(pid, startTicks, bootId) ? { state: 'held', pid } : { state: 'stale', pid }
}

function isAlive (pid: number, startTicks: unknown, bootId: unknown): boolean {
  if (typeof startTicks !== 'number' || typeof bootId !== 'string') return pidExists(pid)
  const identity = processIdentity(pid)
  return identity !== null && identity.bootId === bootId && identity.startTicks === startTicks && !isDead(identity)
}

function pidExists (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
