// Start-up: the chain continues from the newest record, and nothing that could fork it is continued
// silently. A torn tail, a tail shorter than the anchor and a missing anchor are repaired together
// with a `config` record saying so; a damaged last record or a missing key stop the start.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { appendFileSync, existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import { AuditLog, AuditStateError } from '../../src/audit/audit-log.ts'
import { CHILD } from './child.ts'
import { linesOf, logFileNames, tempStateDir, verifyDir } from './helpers.ts'

function records (dir: string): Array<Record<string, unknown>> {
  return logFileNames(dir).flatMap((f) => linesOf(readFileSync(join(dir, f), 'utf8')).map((l) => JSON.parse(l) as Record<string, unknown>))
}

function logWith (dir: string, n: number, rotateBytes?: number): AuditLog {
  const log = new AuditLog(dir, Date.now, rotateBytes === undefined ? {} : { rotateBytes })
  for (let i = 0; i < n; i++) log.append({ event: 'request', caller: 'ci', i })
  return log
}

describe('start-up recovery', () => {
  it('removes a torn last line (a crash mid-write), continues the chain and records it', () => {
    const dir = tempStateDir()
    logWith(dir, 5).close()
    const live = join(dir, 'audit.jsonl')
    const intact = readFileSync(live, 'latin1')
    const torn = '{"seq":6,"ts":"2026-11-21T12:00:00.000Z","event":"acc'
    appendFileSync(live, torn)
    expect(verifyDir(dir).problem?.kind).toBe('unparsable')
    const log = new AuditLog(dir)
    log.append({ event: 'request', caller: 'after' })
    log.close()
    const all = records(dir)
    expect(all.slice(5).map((r) => [r.seq, r.event, r.reason ?? r.caller])).toEqual([[6, 'config', 'torn_tail_removed'], [7, 'request', 'after']])
    expect(all[5]).toMatchObject({ bytes: torn.length })
    expect(readFileSync(live, 'latin1').startsWith(intact)).toBe(true)
    const result = verifyDir(dir)
    expect(result).toMatchObject({ ok: true, records: 7 })
    expect(result.notes.map((n) => n.kind)).toEqual(['torn_tail_removed'])
  })

  it('after a tail shorter than the anchor: records the lost seqs, never reuses them, and verify reports the loss', () => {
    const dir = tempStateDir()
    logWith(dir, 10).close()
    const live = join(dir, 'audit.jsonl')
    const lines = linesOf(readFileSync(live, 'utf8'))
    writeFileSync(live, lines.slice(0, 7).map((l) => `${l}\n`).join(''))
    expect(verifyDir(dir).problem).toMatchObject({ kind: 'truncated', seq: 8 })
    const log = new AuditLog(dir)
    expect(log.head.seq).toBe(11)
    log.append({ event: 'request', caller: 'after' })
    log.close()
    const all = records(dir)
    expect(all.slice(7).map((r) => [r.seq, r.reason ?? r.caller])).toEqual([[11, 'tail_lost'], [12, 'after']])
    expect(all[7]).toMatchObject({ event: 'config', lost_from: 8, lost_to: 10, prev: all[6]!.hash })
    const result = verifyDir(dir)
    expect(result).toMatchObject({ ok: true, records: 9, lastSeq: 12, problem: null })
    expect(result.notes).toEqual([expect.objectContaining({ kind: 'recorded_loss', strict: true, message: expect.stringContaining('seq 8..10 lost') })])
    expect(verifyDir(dir, { strict: true }).ok).toBe(false)
  })

  it('after the live file and the anchor are gone following a rotation: the lost tail is the first record of the new file', () => {
    const dir = tempStateDir()
    const log = logWith(dir, 20, 600)
    log.close()
    const liveSeqs = linesOf(readFileSync(join(dir, 'audit.jsonl'), 'utf8')).map((l) => (JSON.parse(l) as { seq: number }).seq)
    unlinkSync(join(dir, 'audit.jsonl'))
    new AuditLog(dir).close()
    const first = JSON.parse(linesOf(readFileSync(join(dir, 'audit.jsonl'), 'utf8'))[0]!) as Record<string, unknown>
    expect(first).toMatchObject({ event: 'config', reason: 'tail_lost', lost_from: liveSeqs[0], lost_to: liveSeqs.at(-1), seq: liveSeqs.at(-1)! + 1 })
    expect(verifyDir(dir)).toMatchObject({ ok: true, notes: [expect.objectContaining({ kind: 'recorded_loss' })] })
  })

  it('after the anchor was deleted or forged: continues, recording that the tail could not be checked', () => {
    for (const damage of ['delete', 'forge'] as const) {
      const dir = tempStateDir()
      logWith(dir, 3).close()
      if (damage === 'delete') unlinkSync(join(dir, 'audit.head'))
      else writeFileSync(join(dir, 'audit.head'), JSON.stringify({ seq: 3, hash: '0'.repeat(64), mac: '1'.repeat(64) }))
      expect(verifyDir(dir).problem?.kind).toBe('anchor')
      new AuditLog(dir).close()
      expect(records(dir).at(-1)).toMatchObject({ seq: 4, event: 'config', reason: damage === 'delete' ? 'anchor_missing' : 'anchor_invalid' })
      const result = verifyDir(dir)
      expect(result).toMatchObject({ ok: true, notes: [expect.objectContaining({ kind: 'anchor_reset', strict: true })] })
    }
  })

  it('refuses to start after a damaged last record, leaving every file as it was', () => {
    const dir = tempStateDir()
    logWith(dir, 3).close()
    const live = join(dir, 'audit.jsonl')
    const text = readFileSync(live, 'utf8').replace(/"i":2/, '"i":9')
    writeFileSync(live, text)
    const anchor = readFileSync(join(dir, 'audit.head'))
    expect(() => new AuditLog(dir)).toThrow(AuditStateError)
    expect(() => new AuditLog(dir)).toThrow(/last record of audit\.jsonl is not valid \(bad hash\).*fork the chain/)
    expect(readFileSync(live, 'utf8')).toBe(text)
    expect(readFileSync(join(dir, 'audit.head'))).toEqual(anchor)
  })

  it('refuses to start when the key is missing or mangled, instead of making a new one', () => {
    const dir = tempStateDir()
    logWith(dir, 2).close()
    const key = readFileSync(join(dir, 'audit.key'), 'utf8')
    unlinkSync(join(dir, 'audit.key'))
    expect(() => new AuditLog(dir)).toThrow(/audit\.key is missing but the audit log has records/)
    expect(existsSync(join(dir, 'audit.key'))).toBe(false)
    writeFileSync(join(dir, 'audit.key'), 'abc\n')
    expect(() => new AuditLog(dir)).toThrow(/is not 64 hex digits/)
    writeFileSync(join(dir, 'audit.key'), key)
    expect(new AuditLog(dir).head.seq).toBe(2)
  })

  it('after a crash between rotation\'s rename and the new file\'s first record: starts the file with the rotation record', () => {
    const dir = tempStateDir()
    logWith(dir, 4).close()
    renameSync(join(dir, 'audit.jsonl'), join(dir, 'audit.000001.jsonl'))
    const log = new AuditLog(dir)
    log.append({ event: 'request', caller: 'after' })
    log.close()
    expect(records(dir).slice(4).map((r) => r.reason ?? r.caller)).toEqual(['rotated', 'after'])
    expect(records(dir)[4]).toMatchObject({ previous: 'audit.000001.jsonl' })
    expect(verifyDir(dir)).toMatchObject({ ok: true, notes: [] })
  })

  it('survives kill -9 at random moments of a write loop with rotation: the chain always verifies', async () => {
    const dir = tempStateDir()
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, [CHILD, dir, '3000', '--loop'], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
      const [ready] = await once(createInterface({ input: child.stdout }), 'line') as [string]
      expect(ready, stderr).toBe('ready')
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200))
      child.kill('SIGKILL')
      await once(child, 'exit')
      // Start-up repairs whatever the kill left (a torn line, an anchor one record behind, a half-done rotation).
      new AuditLog(dir, Date.now, { rotateBytes: 3000 }).close()
      const result = verifyDir(dir)
      expect(result.problem, JSON.stringify(result.problem)).toBeNull()
      expect(result.notes.filter((n) => n.strict)).toEqual([])
    }
    expect(logFileNames(dir).length).toBeGreaterThan(3)
  })
})

describe('the live file changed behind the running log', () => {
  it('an operator rotating by hand (mv audit.jsonl audit.000001.jsonl): the chain continues in a new file', () => {
    const dir = tempStateDir()
    const log = logWith(dir, 3)
    renameSync(join(dir, 'audit.jsonl'), join(dir, 'audit.000001.jsonl'))
    log.append({ event: 'request', caller: 'after' })
    log.rotate()
    log.append({ event: 'request', caller: 'later' })
    log.close()
    expect(logFileNames(dir)).toEqual(['audit.000001.jsonl', 'audit.000002.jsonl', 'audit.jsonl'])
    expect(records(dir).map((r) => r.reason ?? r.caller)).toEqual(['ci', 'ci', 'ci', 'reopened', 'after', 'rotated', 'later'])
    expect(verifyDir(dir)).toMatchObject({ ok: true, notes: [] })
  })

  it('the live file deleted: appends go to a new file (not a ghost inode) and verify shows the deleted records', () => {
    const dir = tempStateDir()
    const log = logWith(dir, 3, 700)
    const before = linesOf(readFileSync(join(dir, 'audit.jsonl'), 'utf8'))
    unlinkSync(join(dir, 'audit.jsonl'))
    log.append({ event: 'request', caller: 'after' })
    log.close()
    expect(linesOf(readFileSync(join(dir, 'audit.jsonl'), 'utf8')).map((l) => (JSON.parse(l) as { reason?: string, caller: string }).reason ?? (JSON.parse(l) as { caller: string }).caller)).toEqual(['reopened', 'after'])
    const firstDeleted = (JSON.parse(before[0]!) as { seq: number }).seq
    const result = verifyDir(dir)
    expect(result.problem).toMatchObject({ file: 'audit.jsonl', line: 1 })
    expect(result.problem?.message).toContain(`seq ${firstDeleted}`)
  })

  it('the live file replaced by a foreign one: append refuses to continue it and the log reports unhealthy', () => {
    const dir = tempStateDir()
    const log = logWith(dir, 2)
    unlinkSync(join(dir, 'audit.jsonl'))
    writeFileSync(join(dir, 'audit.jsonl'), '{"seq":1}\n')
    expect(() => log.append({ event: 'request' })).toThrow(AuditStateError)
    expect(log.healthy()).toBe(false)
    expect(log.probe()).toBe(false)
    log.close()
  })
})
