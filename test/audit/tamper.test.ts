// Every kind of tampering the verifier must catch, each on a fresh copy of one real multi-file log,
// with the exact first bad file, line and seq checked against the independent oracle in helpers.ts.
import { createHmac } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuditLog } from '../../src/audit/audit-log.ts'
import type { ProblemKind } from '../../src/audit/verify.ts'
import { buildLog, expectedBreak, linesOf, logFileNames, snapshot, tempStateDir, verifyDir } from './helpers.ts'

let pristine: string

beforeAll(() => {
  pristine = mkdtempSync(join(tmpdir(), 'hookgate-audit-pristine-'))
  buildLog(pristine, 300, 8192)
})
afterAll(() => rmSync(pristine, { recursive: true, force: true }))

/** A fresh copy of the pristine log. */
function copy (): string {
  const dir = tempStateDir()
  cpSync(pristine, dir, { recursive: true })
  return dir
}

function lines (dir: string, file: string): string[] {
  return linesOf(readFileSync(join(dir, file), 'latin1'))
}

function writeLines (dir: string, file: string, content: string[]): void {
  writeFileSync(join(dir, file), content.map((l) => `${l}\n`).join(''), 'latin1')
}

function seqOf (line: string): number {
  return (JSON.parse(line) as { seq: number }).seq
}

/** Verifies a tampered copy: the break is where the oracle says, of the kind given. */
function expectBreak (dir: string, kind: ProblemKind, where: { file: string, line: number, seq: number | null }): void {
  const result = verifyDir(dir)
  expect(result.ok).toBe(false)
  expect(result.problem).toMatchObject({ kind, ...where })
  const oracle = expectedBreak(snapshot(pristine), snapshot(dir))
  if (kind !== 'anchor') expect(oracle).toMatchObject(where)
}

describe('the pristine log', () => {
  it('spans about ten files and verifies', () => {
    const files = logFileNames(pristine)
    expect(files.length).toBeGreaterThanOrEqual(9)
    expect(verifyDir(pristine)).toMatchObject({ ok: true, firstSeq: 1, notes: [] })
  })
})

describe('tampering is detected at the first bad record', () => {
  it('an edited field: bad hash', () => {
    const dir = copy()
    const file = logFileNames(dir)[3]!
    const content = lines(dir, file)
    content[4] = content[4]!.replace(/"caller":("[^"]*"|null)/, '"caller":"mallory"')
    writeLines(dir, file, content)
    expectBreak(dir, 'bad_hash', { file, line: 5, seq: seqOf(content[4]!) })
  })

  it('an edited seq or prev, even with the hash left alone: bad hash', () => {
    for (const field of ['seq', 'prev'] as const) {
      const dir = copy()
      const file = logFileNames(dir)[2]!
      const content = lines(dir, file)
      const record = JSON.parse(content[2]!) as Record<string, unknown>
      record[field] = field === 'seq' ? (record.seq as number) + 1 : 'a'.repeat(64)
      content[2] = JSON.stringify(record)
      writeLines(dir, file, content)
      expectBreak(dir, 'bad_hash', { file, line: 3, seq: record.seq as number })
    }
  })

  it('a changed byte that leaves valid JSON and the same meaning (escaped character): bad hash', () => {
    const dir = copy()
    const file = logFileNames(dir)[1]!
    const content = lines(dir, file)
    content[1] = content[1]!.replace('"ts":"2', '"ts":"\\u0032')
    writeLines(dir, file, content)
    expectBreak(dir, 'bad_hash', { file, line: 2, seq: seqOf(content[1]!) })
  })

  it('a deleted line: seq gap, reported at the line after it', () => {
    const dir = copy()
    const file = logFileNames(dir)[4]!
    const content = lines(dir, file)
    const deleted = seqOf(content[6]!)
    content.splice(6, 1)
    writeLines(dir, file, content)
    expectBreak(dir, 'seq_gap', { file, line: 7, seq: deleted + 1 })
    expect(verifyDir(dir).problem?.message).toContain(`seq ${deleted} missing`)
  })

  it('two lines swapped: out of order, and where the expected record went', () => {
    const dir = copy()
    const file = logFileNames(dir)[5]!
    const content = lines(dir, file)
    ;[content[3], content[8]] = [content[8]!, content[3]!]
    writeLines(dir, file, content)
    expectBreak(dir, 'out_of_order', { file, line: 4, seq: seqOf(content[3]!) })
    expect(verifyDir(dir).problem?.message).toContain(`it is at ${file} line 9`)
  })

  it('a line moved into the next file: out of order', () => {
    const dir = copy()
    const [a, b] = logFileNames(dir).slice(2, 4) as [string, string]
    const from = lines(dir, a)
    const to = lines(dir, b)
    const [moved] = from.splice(from.length - 1, 1)
    to.splice(2, 0, moved!)
    writeLines(dir, a, from)
    writeLines(dir, b, to)
    expectBreak(dir, 'out_of_order', { file: b, line: 1, seq: seqOf(to[0]!) })
  })

  it('a duplicated line: out of order', () => {
    const dir = copy()
    const file = logFileNames(dir)[6]!
    const content = lines(dir, file)
    content.splice(5, 0, content[2]!)
    writeLines(dir, file, content)
    expectBreak(dir, 'out_of_order', { file, line: 6, seq: seqOf(content[2]!) })
  })

  it('a forged line inserted, made with a guessed key: bad hash', () => {
    const dir = copy()
    const file = logFileNames(dir)[3]!
    const content = lines(dir, file)
    const before = JSON.parse(content[4]!) as Record<string, unknown>
    const forged: Record<string, unknown> = { seq: (before.seq as number) + 1, ts: before.ts, event: 'accepted', caller: 'ci', user: null, run: 'run_forged', prev: before.hash }
    forged.hash = createHmac('sha256', Buffer.alloc(32, 7)).update(JSON.stringify(forged)).digest('hex')
    content.splice(5, 0, JSON.stringify(forged))
    writeLines(dir, file, content)
    expectBreak(dir, 'bad_hash', { file, line: 6, seq: forged.seq as number })
  })

  it('a record from another chain under the same key, at the right seq: prev mismatch', () => {
    const dir = copy()
    const other = tempStateDir()
    cpSync(join(dir, 'audit.key'), join(other, 'audit.key'))
    const log = new AuditLog(other, Date.now, { durableEvents: new Set() })
    for (let i = 0; i < 60; i++) log.append({ event: 'request', caller: 'other', i })
    log.close()
    const theirs = lines(other, 'audit.jsonl')
    const file = logFileNames(dir)[1]!
    const content = lines(dir, file)
    const seq = seqOf(content[2]!)
    content[2] = theirs.find((l) => seqOf(l) === seq)!
    writeLines(dir, file, content)
    expectBreak(dir, 'prev_mismatch', { file, line: 3, seq })
  })

  it('garbage inserted: unparsable line', () => {
    const dir = copy()
    const file = logFileNames(dir)[0]!
    const content = lines(dir, file)
    content.splice(3, 0, 'this is not a record')
    writeLines(dir, file, content)
    expectBreak(dir, 'unparsable', { file, line: 4, seq: null })
  })

  it('the tail truncated (whole lines): truncated tail against the head anchor', () => {
    const dir = copy()
    const content = lines(dir, 'audit.jsonl')
    const kept = content.slice(0, -3)
    writeLines(dir, 'audit.jsonl', kept)
    expectBreak(dir, 'truncated', { file: 'audit.jsonl', line: kept.length + 1, seq: seqOf(content.at(-3)!) })
    expect(verifyDir(dir).problem?.message).toMatch(/head anchor names seq 3\d\d/)
  })

  it('the tail cut mid-line: an incomplete last line', () => {
    const dir = copy()
    const content = readFileSync(join(dir, 'audit.jsonl'), 'latin1')
    writeFileSync(join(dir, 'audit.jsonl'), content.slice(0, -40), 'latin1')
    const n = linesOf(content).length
    expectBreak(dir, 'unparsable', { file: 'audit.jsonl', line: n, seq: seqOf(linesOf(content).at(-1)!) })
  })

  it('the live file deleted: truncated tail', () => {
    const dir = copy()
    const first = lines(dir, 'audit.jsonl')[0]!
    unlinkSync(join(dir, 'audit.jsonl'))
    expectBreak(dir, 'truncated', { file: 'audit.jsonl', line: 1, seq: seqOf(first) })
  })

  it('a rotated file in the middle deleted: seq gap at the next file', () => {
    const dir = copy()
    const files = logFileNames(dir)
    const deleted = lines(dir, files[4]!)
    unlinkSync(join(dir, files[4]!))
    expectBreak(dir, 'seq_gap', { file: files[5]!, line: 1, seq: seqOf(deleted.at(-1)!) + 1 })
  })

  it('the newest rotated file deleted: seq gap in the live file', () => {
    const dir = copy()
    const files = logFileNames(dir)
    const deleted = lines(dir, files.at(-2)!)
    unlinkSync(join(dir, files.at(-2)!))
    expectBreak(dir, 'seq_gap', { file: 'audit.jsonl', line: 1, seq: seqOf(deleted.at(-1)!) + 1 })
  })

  it('the newest rotated file and the live file deleted: truncated tail', () => {
    const dir = copy()
    const files = logFileNames(dir)
    const first = lines(dir, files.at(-2)!)[0]!
    unlinkSync(join(dir, files.at(-2)!))
    unlinkSync(join(dir, 'audit.jsonl'))
    const result = verifyDir(dir)
    expect(result.problem).toMatchObject({ kind: 'truncated', file: 'audit.jsonl', line: 1, seq: seqOf(first) })
  })

  it('a rotated file emptied: empty file', () => {
    const dir = copy()
    const file = logFileNames(dir)[3]!
    writeFileSync(join(dir, file), '')
    expectBreak(dir, 'empty_file', { file, line: 1, seq: null })
  })

  it('two rotated files swapped: out of order at the first of them', () => {
    const dir = copy()
    const files = logFileNames(dir)
    renameSync(join(dir, files[3]!), join(dir, 'tmp'))
    renameSync(join(dir, files[6]!), join(dir, files[3]!))
    renameSync(join(dir, 'tmp'), join(dir, files[6]!))
    expectBreak(dir, 'out_of_order', { file: files[3]!, line: 1, seq: seqOf(lines(dir, files[3]!)[0]!) })
  })

  it('the oldest file swapped with a later one: not mistaken for pruning', () => {
    const dir = copy()
    const files = logFileNames(dir)
    renameSync(join(dir, files[0]!), join(dir, 'tmp'))
    renameSync(join(dir, files[2]!), join(dir, files[0]!))
    renameSync(join(dir, 'tmp'), join(dir, files[2]!))
    expectBreak(dir, 'start', { file: files[0]!, line: 1, seq: seqOf(lines(dir, files[0]!)[0]!) })
  })

  it('the first lines of the log deleted: start', () => {
    const dir = copy()
    const file = logFileNames(dir)[0]!
    const content = lines(dir, file)
    writeLines(dir, file, content.slice(2))
    expectBreak(dir, 'start', { file, line: 1, seq: 3 })
  })

  it('older files pruned and then the first lines of the oldest left deleted: start', () => {
    const dir = copy()
    const files = logFileNames(dir)
    for (const f of files.slice(0, 3)) unlinkSync(join(dir, f))
    const content = lines(dir, files[3]!)
    writeLines(dir, files[3]!, content.slice(1))
    const result = verifyDir(dir)
    expect(result.problem).toMatchObject({ kind: 'start', file: files[3], line: 1, seq: seqOf(content[1]!) })
  })

  it('the head anchor deleted, edited or forged: anchor', () => {
    const anchor = (dir: string): string => join(dir, 'audit.head')
    let dir = copy()
    unlinkSync(anchor(dir))
    expectBreak(dir, 'anchor', { file: 'audit.head', line: 0, seq: null })
    expect(verifyDir(dir).problem?.message).toContain('missing')

    dir = copy()
    const head = JSON.parse(readFileSync(anchor(dir), 'utf8')) as { seq: number, hash: string, mac: string }
    writeFileSync(anchor(dir), JSON.stringify({ ...head, seq: head.seq + 5 }))
    expectBreak(dir, 'anchor', { file: 'audit.head', line: 0, seq: null })
    expect(verifyDir(dir).problem?.message).toContain('bad MAC')

    dir = copy()
    writeFileSync(anchor(dir), 'garbage')
    expectBreak(dir, 'anchor', { file: 'audit.head', line: 0, seq: null })
  })

  it('a head anchor of another chain under the same key, naming a different record at its seq: anchor', () => {
    const dir = copy()
    const other = tempStateDir()
    cpSync(join(dir, 'audit.key'), join(other, 'audit.key'))
    const log = new AuditLog(other, Date.now, { durableEvents: new Set() })
    for (let i = 0; i < 40; i++) log.append({ event: 'request', caller: 'other', i })
    log.close()
    cpSync(join(other, 'audit.head'), join(dir, 'audit.head'))
    const result = verifyDir(dir)
    // The other log began with an anchor_missing record (a key without an anchor), so it ends at seq 41.
    expect(result.problem).toMatchObject({ kind: 'anchor', seq: 41 })
    expect(result.problem?.message).toContain('replaced or rolled back')
  })
})

describe('what is not tampering', () => {
  it('pruned oldest files: OK from the first file left, with a note; --strict fails', () => {
    const dir = copy()
    const files = logFileNames(dir)
    for (const f of files.slice(0, 4)) unlinkSync(join(dir, f))
    const first = seqOf(lines(dir, files[4]!)[0]!)
    const result = verifyDir(dir)
    expect(result).toMatchObject({ ok: true, firstSeq: first, problem: null })
    expect(result.notes).toEqual([expect.objectContaining({ kind: 'pruned', strict: true })])
    expect(result.notes[0]!.message).toContain(`starts at seq ${first} in ${files[4]}`)
    expect(verifyDir(dir, { strict: true }).ok).toBe(false)
  })

  it('one rotated file on its own: its chain is checked, with a note', () => {
    const file = logFileNames(pristine)[3]!
    const result = verifyDir(join(pristine, file))
    expect(result).toMatchObject({ ok: true, files: [file], problem: null })
    expect(result.notes.map((n) => n.kind)).toEqual(['pruned', 'single_file'])
  })

  // The honest limit (docs/audit.md): with no copy of the head kept elsewhere, rolling the log and
  // its anchor back together to an earlier state is indistinguishable from that earlier state.
  it('a consistent rollback of the files and the anchor together is NOT detected locally', () => {
    const early = copy()
    const dir = copy()
    const log = new AuditLog(dir)
    log.append({ event: 'request', caller: 'later' })
    log.close()
    for (const name of ['audit.jsonl', 'audit.head']) cpSync(join(early, name), join(dir, name))
    expect(verifyDir(dir).ok).toBe(true)
  })
})

