// The live file's background sync: the descriptor it syncs stays open until the sync ends, even when
// the log closes or rotates it first, so a reused descriptor number is never synced in its place.
import { readdirSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LiveFile } from '../../src/audit/live-file.ts'
import { tempStateDir } from './helpers.ts'

/** This process's open descriptors that name `path`. */
function descriptorsOf (path: string): string[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path
    } catch {
      return false
    }
  })
}

describe('LiveFile.syncInBackground', () => {
  it('keeps the descriptor open past close() until the sync has ended, then closes it', async () => {
    const path = join(tempStateDir(), 'audit.jsonl')
    const live = LiveFile.open(path)
    live.append(Buffer.from('{"seq":1}\n'))
    const [fd] = descriptorsOf(path)
    expect(fd).toBeDefined()
    const synced = live.syncInBackground()
    live.close()
    expect(live.isOpen).toBe(false)
    expect(descriptorsOf(path)).toEqual([fd])
    await synced
    expect(descriptorsOf(path)).toEqual([])
  })

  it('closes at once when no sync is under way, and refuses to sync a closed file', async () => {
    const path = join(tempStateDir(), 'audit.jsonl')
    const live = LiveFile.open(path)
    await live.syncInBackground()
    live.close()
    expect(descriptorsOf(path)).toEqual([])
    await expect(live.syncInBackground()).rejects.toMatchObject({ code: 'EBADF' })
  })

  it('closes once, after the last of several syncs', async () => {
    const path = join(tempStateDir(), 'audit.jsonl')
    const live = LiveFile.open(path)
    const first = live.syncInBackground()
    const second = live.syncInBackground()
    live.close()
    await first
    await second
    expect(descriptorsOf(path)).toEqual([])
  })
})
