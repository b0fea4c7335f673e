// Group append (AuditLog.appendGrouped): the records of one event-loop turn go to the file together at
// the end of the turn, and whoever appended one waits for that write. The gateway answers a refused
// request only after its wait, so each record must be in the file when its promise settles, in call
// order with every synchronous append, and the chain and the head anchor must hold as for one-by-one appends.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AuditLog, AuditWriteError } from '../../src/audit/audit-log.ts'
import { readAnchor } from '../../src/audit/head-anchor.ts'
import { KEY_FILE, readKey } from '../../src/audit/key.ts'
import { entry, tempStateDir, verifyDir } from './helpers.ts'

function recordsIn (path: string): Array<{ seq: number, event: string, i?: number }> {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { seq: number, event: string, i?: number })
}

function anchorSeq (dir: string): number | null {
  const read = readAnchor(join(dir, 'audit.head'), readKey(join(dir, KEY_FILE))!)
  return read.kind === 'ok' ? read.head.seq : null
}

describe('group append', () => {
  it('writes a turn\'s records together at its end; each is in the file when its promise settles; the anchor names the last', async () => {
    const dir = tempStateDir()
    const log = new AuditLog(dir, Date.now, { durableEvents: new Set() })
    const seenAtSettle: number[][] = []
    const waits = Array.from({ length: 6 }, (_, i) =>
      log.appendGrouped({ event: 'rejected', caller: 'ci', reason: 'signature_mismatch', ip: '127.0.0.1', i })
        .then(() => { seenAtSettle[i] = recordsIn(log.path).map((r) => r.seq) }))
    // Still in the same turn: nothing is written yet, and the chain has not moved.
    expect(recordsIn(log.path)).toEqual([])
    expect(log.head.seq).toBe(0)
    await Promise.all(waits)
    for (let i = 0; i < 6; i++) expect(seenAtSettle[i], `records in the file when append ${i} settled`).toEqual([1, 2, 3, 4, 5, 6])
    expect(recordsIn(log.path).map((r) => r.i)).toEqual([0, 1, 2, 3, 4, 5])
    expect(log.head.seq).toBe(6)
    expect(anchorSeq(dir)).toBe(6)
    log.close()
    expect(verifyDir(dir)).toMatchObject({ ok: true, records: 6, notes: [] })
  })

  it('keeps call order with synchronous appends, close and rotation: a waiting group is written first', async () => {
    const dir = tempStateDir()
    const log = new AuditLog(dir, Date.now, { durableEvents: new Set(), rotateBytes: 4096 })
    const first = log.appendGrouped({ event: 'request', caller: 'ci', i: 1 })
    log.append({ event: 'accepted', caller: 'ci', i: 2 })
    // The group went out before the synchronous record, so its promise is already kept.
    expect(recordsIn(log.path).map((r) => r.i)).toEqual([1, 2])
    await first
    const beforeRotation = log.appendGrouped({ event: 'rejected', caller: 'ci', i: 3 })
    log.rotate()
    await beforeRotation
    const waits: Array<Promise<void>> = []
    for (let i = 4; i < 60; i++) waits.push(log.appendGrouped({ ...entry(i), i }))
    await Promise.all(waits)
    const last = log.appendGrouped({ event: 'rejected', caller: 'ci', i: 60 })
    log.close()
    await last
    await expect(log.appendGrouped({ event: 'rejected', caller: 'ci' })).rejects.toBeInstanceOf(AuditWriteError)
    // Records 4–59 needed more than one file at 4 KiB: the group was split at the rotation, in order.
    const result = verifyDir(dir)
    expect(result).toMatchObject({ ok: true, notes: [] })
    expect(result.records).toBeGreaterThan(60)
    expect(anchorSeq(dir)).toBe(log.head.seq)
  })
})
