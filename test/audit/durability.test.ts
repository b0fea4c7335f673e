// Durability, observed at the system-call level with strace: every record is one write(2) of the
// whole line (so a killed process leaves it in the page cache), and lifecycle records are followed
// by fdatasync(2) on the log before the head anchor is updated and append returns (power loss). A
// group of records appended in one event-loop turn (appendGrouped) is one write of their lines.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { AuditChild, CHILD } from './child.ts'
import { tempStateDir, verifyDir } from './helpers.ts'

/** One letter per system call on the log (W: write, S: fdatasync) or the anchor (A: pwrite64), from an strace file. */
function callLetters (trace: string): string {
  return readFileSync(trace, 'utf8').split('\n').flatMap((line) => {
    if (/\bwrite\(\d+<[^>]*\/audit\.jsonl>/.test(line)) return ['W']
    if (/\bfdatasync\(\d+<[^>]*\/audit\.jsonl>/.test(line)) return ['S']
    if (/\bpwrite64\(\d+<[^>]*\/audit\.head>/.test(line)) return ['A']
    if (/\bf(data)?sync\(/.test(line)) return ['?']
    return []
  }).join('')
}

describe('durability', () => {
  // strace is installed by .ci/run; without it this test fails rather than passing silently.
  it('fdatasyncs lifecycle records and config, not request/rejected/permission', async () => {
    const dir = tempStateDir()
    const trace = join(tempStateDir(), 'trace')
    const child = new AuditChild('strace', ['-f', '-qq', '-y', '-e', 'trace=write,pwrite64,fdatasync,fsync', '-o', trace, process.execPath, CHILD, dir])
    onTestFinished(() => { child.process.kill('SIGKILL') })
    const events = ['request', 'rejected', 'accepted', 'started', 'permission', 'finished', 'cancelled', 'interrupted', 'config']
    for (const event of events) expect((await child.send({ op: 'append', event }))).toMatchObject({ ok: true })
    await child.close()
    const calls = callLetters(trace)
    // The anchor is written once at start-up, then after every record.
    const expected = `A${events.map((e) => ['request', 'rejected', 'permission'].includes(e) ? 'WA' : 'WSA').join('')}`
    expect(calls).toBe(expected)
    expect(verifyDir(dir)).toMatchObject({ ok: true, records: events.length })
  })

  it('writes the records of one turn (concurrent refusals) with one write and one anchor update, not synced', async () => {
    const dir = tempStateDir()
    const trace = join(tempStateDir(), 'trace')
    const child = new AuditChild('strace', ['-f', '-qq', '-y', '-e', 'trace=write,pwrite64,fdatasync,fsync', '-o', trace, process.execPath, CHILD, dir])
    onTestFinished(() => { child.process.kill('SIGKILL') })
    expect(await child.send({ op: 'group', count: 8 })).toMatchObject({ ok: true, head: { seq: 8 } })
    expect(await child.send({ op: 'append', event: 'accepted' })).toMatchObject({ ok: true, head: { seq: 9 } })
    expect(await child.send({ op: 'group', count: 3 })).toMatchObject({ ok: true, head: { seq: 12 } })
    await child.close()
    const calls = callLetters(trace)
    // Start-up anchor; the group of 8; the lifecycle record alone (synced before its anchor); the group of 3.
    expect(calls).toBe('A' + 'WA' + 'WSA' + 'WA')
    expect(verifyDir(dir)).toMatchObject({ ok: true, records: 12, notes: [] })
  })
})
