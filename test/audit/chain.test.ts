// The record format of contract §8 and the chain across rotation: every record keyed and linked to
// the one before, rotated files numbered in order and private, nothing lost or doubled in a burst.
import { createHmac } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { setImmediate as tick } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { AuditLog, GENESIS } from '../../src/audit/audit-log.ts'
import { entry, linesOf, logFileNames, tempStateDir, verifyDir } from './helpers.ts'

function records (dir: string): Array<{ file: string, text: string, record: Record<string, unknown> }> {
  return logFileNames(dir).flatMap((file) => linesOf(readFileSync(join(dir, file), 'utf8')).map((text) => ({ file, text, record: JSON.parse(text) as Record<string, unknown> })))
}

describe('audit record format', () => {
  it('writes the contract fields in order, hash = HMAC-SHA256(audit.key, the line without its hash)', () => {
    const dir = tempStateDir()
    const log = new AuditLog(dir, () => Date.UTC(2026, 10, 21, 12, 0, 0))
    log.append({ event: 'rejected', caller: 'ci', reason: 'bad_signature', ip: '10.0.0.1' })
    log.append({ event: 'accepted', caller: 'ci', user: 'U1', run: 'run_1', prompt_chars: 5 })
    log.close()
    const key = Buffer.from(readFileSync(join(dir, 'audit.key'), 'utf8').trim(), 'hex')
    const lines = linesOf(readFileSync(join(dir, 'audit.jsonl'), 'utf8'))
    expect(lines).toHaveLength(2)
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(Object.keys(first!)).toEqual(['seq', 'ts', 'event', 'caller', 'user', 'run', 'reason', 'ip', 'prev', 'hash'])
    expect(first).toMatchObject({ seq: 1, ts: '2026-11-21T12:00:00.000Z', event: 'rejected', caller: 'ci', user: null, run: null, reason: 'bad_signature', prev: GENESIS })
    expect(second).toMatchObject({ seq: 2, prev: first!.hash, user: 'U1', run: 'run_1' })
    for (const line of lines) {
      const { hash, ...rest } = JSON.parse(line) as Record<string, unknown>
      expect(hash).toBe(createHmac('sha256', key).update(JSON.stringify(rest)).digest('hex'))
    }
  })

  it('never lets an entry set seq, ts, prev or hash', () => {
    const dir = tempStateDir()
    const log = new AuditLog(dir)
    log.append({ event: 'request', seq: 99, ts: 'forged', prev: 'f'.repeat(64), hash: 'e'.repeat(64), __proto__: 'x' } as never)
    log.close()
    const all = records(dir)
    expect(all).toHaveLength(1)
    const record = all[0]!.record
    expect(record.seq).toBe(1)
    expect(record.ts).not.toBe('forged')
    expect(record.prev).toBe(GENESIS)
    expect(verifyDir(dir).ok).toBe(true)
  })

  it('creates the key, the log and the head anchor private (0600)', () => {
    const dir = tempStateDir()
    const log = new AuditLog(dir)
    log.append({ event: 'request' })
    log.close()
    for (const name of ['audit.key', 'audit.jsonl', 'audit.head']) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600)
  })

  it('reopens a log that was opened and closed before its first record without reporting anything', () => {
    const dir = tempStateDir()
    new AuditLog(dir).close()
    const log = new AuditLog(dir)
    log.append({ event: 'request' })
    log.close()
    expect(records(dir).map((r) => r.record.event)).toEqual(['request'])
    expect(verifyDir(dir)).toMatchObject({ ok: true, records: 1, notes: [] })
  })

  it('continues the chain after a clean restart, adding nothing of its own', () => {
    const dir = tempStateDir()
    let log = new AuditLog(dir)
    log.append({ event: 'request' })
    const head = log.head
    log.close()
    log = new AuditLog(dir)
    expect(log.head).toEqual(head)
    log.append({ event: 'request' })
    log.close()
    expect(records(dir).map((r) => [r.record.seq, r.record.event])).toEqual([[1, 'request'], [2, 'request']])
    expect(records(dir)[1]!.record.prev).toBe(head.hash)
  })
})

describe('rotation', () => {
  it('renames the live file to numbered predecessors and continues the same chain in a new one', () => {
    const dir = tempStateDir()
    const log = new AuditLog(dir, Date.now, { rotateBytes: 2048, durableEvents: new Set() })
    for (let i = 0; i < 200; i++) log.append(entry(i))
    log.close()
    const files = logFileNames(dir)
    expect(files.length).toBeGreaterThan(10)
    expect(files.slice(0, 3)).toEqual(['audit.000001.jsonl', 'audit.000002.jsonl', 'audit.000003.jsonl'])
    expect(files.at(-1)).toBe('audit.jsonl')
    const all = records(dir)
    // seq counts up by one and prev links across every file boundary.
    all.forEach((r, i) => {
      expect(r.record.seq).toBe(i + 1)
      expect(r.record.prev).toBe(i === 0 ? GENESIS : all[i - 1]!.record.hash)
    })
    for (let f = 1; f < files.length; f++) {
      const first = all.find((r) => r.file === files[f])!
      expect(first.record).toMatchObject({ event: 'config', reason: 'rotated', previous: files[f - 1] })
    }
    for (const file of files.slice(0, -1)) {
      const stat = statSync(join(dir, file))
      expect(stat.size).toBeLessThanOrEqual(2048)
      expect(stat.mode & 0o777).toBe(0o600)
    }
    // Every entry exactly once, in order, besides the rotation records.
    expect(all.filter((r) => r.record.reason !== 'rotated').map((r) => r.record.ip)).toEqual(Array.from({ length: 200 }, (_, i) => entry(i).ip))
    const result = verifyDir(dir)
    expect(result).toMatchObject({ ok: true, records: all.length, firstSeq: 1, lastSeq: all.length, files, notes: [], problem: null })
  })

  it('gives a record larger than the limit a file of its own instead of rotating forever', () => {
    const dir = tempStateDir()
    const log = new AuditLog(dir, Date.now, { rotateBytes: 600 })
    log.append({ event: 'request' })
    log.append({ event: 'request', big: 'x'.repeat(2000) })
    log.append({ event: 'request' })
    log.close()
    expect(logFileNames(dir)).toEqual(['audit.000001.jsonl', 'audit.000002.jsonl', 'audit.jsonl'])
    expect(records(dir).map((r) => r.record.reason ?? r.record.event)).toEqual(['request', 'rotated', 'request', 'rotated', 'request'])
    expect(verifyDir(dir).ok).toBe(true)
  })

  it('rotate() starts a new file now, and does nothing to an empty one', () => {
    const dir = tempStateDir()
    const log = new AuditLog(dir)
    log.rotate()
    expect(logFileNames(dir)).toEqual(['audit.jsonl'])
    log.append({ event: 'request' })
    log.rotate()
    log.rotate()
    expect(logFileNames(dir)).toEqual(['audit.000001.jsonl', 'audit.jsonl'])
    log.append({ event: 'finished' })
    log.close()
    expect(verifyDir(dir)).toMatchObject({ ok: true, records: 3, files: ['audit.000001.jsonl', 'audit.jsonl'] })
  })

  it('loses and doubles nothing in a burst of appends from many concurrent producers across rotations', async () => {
    const dir = tempStateDir()
    const log = new AuditLog(dir, Date.now, { rotateBytes: 4096 })
    const producers = 50
    const each = 100
    await Promise.all(Array.from({ length: producers }, async (_, p) => {
      for (let i = 0; i < each; i++) {
        log.append({ event: i % 10 === 0 ? 'accepted' : 'request', caller: `p${p}`, n: i })
        if (i % 3 === 0) await tick()
      }
    }))
    log.close()
    const all = records(dir).filter((r) => r.record.reason !== 'rotated')
    expect(logFileNames(dir).length).toBeGreaterThan(50)
    expect(all).toHaveLength(producers * each)
    const seen = new Set(all.map((r) => `${r.record.caller}/${r.record.n}`))
    expect(seen.size).toBe(producers * each)
    for (let p = 0; p < producers; p++) {
      expect(all.filter((r) => r.record.caller === `p${p}`).map((r) => r.record.n)).toEqual(Array.from({ length: each }, (_, i) => i))
    }
    expect(verifyDir(dir)).toMatchObject({ ok: true, problem: null })
  })
})
