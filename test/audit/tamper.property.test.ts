// G-AUD-1: random edits, deletions, reorderings, insertions, truncations and file-level changes
// (one to three at a time) over a real 2,000-record log spread across about ten files. Every one
// must be detected, at exactly the first bad file, line and seq the oracle in helpers.ts names.
import { createHmac } from 'node:crypto'
import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildLog, expectedBreak, linesOf, snapshot, verifyDir, type Snapshot } from './helpers.ts'

const RECORDS = 2000
const RUNS = Number(process.env.AUDIT_PROPERTY_RUNS ?? 1000)

let pristineDir: string
let workDir: string
let pristine: Snapshot
/** What is on disk in workDir now, so each run rewrites only the files it changed. */
const onDisk = new Map<string, string>()

beforeAll(() => {
  pristineDir = mkdtempSync(join(tmpdir(), 'hookgate-audit-prop-'))
  buildLog(pristineDir, RECORDS, 50_000)
  pristine = snapshot(pristineDir)
  workDir = mkdtempSync(join(tmpdir(), 'hookgate-audit-prop-work-'))
  cpSync(pristineDir, workDir, { recursive: true })
  for (const f of pristine.files) onDisk.set(f.name, f.content)
})
afterAll(() => {
  rmSync(pristineDir, { recursive: true, force: true })
  rmSync(workDir, { recursive: true, force: true })
})

function materialise (snap: Snapshot): void {
  for (const name of [...onDisk.keys()]) {
    if (!snap.files.some((f) => f.name === name)) {
      unlinkSync(join(workDir, name))
      onDisk.delete(name)
    }
  }
  for (const f of snap.files) {
    if (onDisk.get(f.name) !== f.content) {
      writeFileSync(join(workDir, f.name), f.content, 'latin1')
      onDisk.set(f.name, f.content)
    }
  }
}

/** A log as editable lines per file (a last line without newline keeps a marker). */
interface Layout {
  files: Array<{ name: string, lines: string[], torn: string | null }>
}

function toLayout (snap: Snapshot): Layout {
  return {
    files: snap.files.map((f) => {
      const lines = linesOf(f.content)
      const torn = f.content.length > 0 && !f.content.endsWith('\n') ? lines.pop()! : null
      return { name: f.name, lines, torn }
    })
  }
}

function toSnapshot (layout: Layout): Snapshot {
  return { files: layout.files.map((f) => ({ name: f.name, content: f.lines.map((l) => `${l}\n`).join('') + (f.torn ?? '') })) }
}

/** Index of every line: [file index, line index]. */
function flat (layout: Layout): Array<[number, number]> {
  return layout.files.flatMap((f, fi) => f.lines.map((_, li) => [fi, li] as [number, number]))
}

function at (layout: Layout, pos: number): [number, number] | null {
  const all = flat(layout)
  return all.length === 0 ? null : all[pos % all.length]!
}

const FIELDS = ['seq', 'ts', 'event', 'caller', 'user', 'run', 'ip', 'prev', 'hash'] as const

type Mutation = (layout: Layout) => void

const position = fc.nat({ max: 1_000_000 })

const mutations: fc.Arbitrary<{ name: string, apply: Mutation }> = fc.oneof(
  fc.record({ pos: position, field: fc.constantFrom(...FIELDS), n: fc.integer({ min: 1, max: 1000 }) }).map(({ pos, field, n }) => ({
    name: `edit ${field} at ${pos}`,
    apply: (l: Layout) => {
      const p = at(l, pos)
      if (p === null) return
      const record = JSON.parse(l.files[p[0]]!.lines[p[1]]!) as Record<string, unknown>
      const old = record[field]
      record[field] = typeof old === 'number' ? old + n : field === 'prev' || field === 'hash' ? createHmac('sha256', String(n)).update(String(old)).digest('hex') : `${String(old)}x${n}`
      l.files[p[0]]!.lines[p[1]] = JSON.stringify(record)
    }
  })),
  fc.record({ pos: position, offset: fc.nat(), byte: fc.integer({ min: 0x20, max: 0x7e }) }).map(({ pos, offset, byte }) => ({
    name: `flip a byte at ${pos}:${offset}`,
    apply: (l: Layout) => {
      const p = at(l, pos)
      if (p === null) return
      const line = l.files[p[0]]!.lines[p[1]]!
      const i = offset % line.length
      const c = String.fromCharCode(line.charCodeAt(i) === byte ? (byte === 0x7e ? 0x20 : byte + 1) : byte)
      l.files[p[0]]!.lines[p[1]] = line.slice(0, i) + c + line.slice(i + 1)
    }
  })),
  fc.record({ pos: position, count: fc.integer({ min: 1, max: 3 }) }).map(({ pos, count }) => ({
    name: `delete ${count} lines at ${pos}`,
    apply: (l: Layout) => {
      const p = at(l, pos)
      if (p !== null) l.files[p[0]]!.lines.splice(p[1], count)
    }
  })),
  fc.record({ a: position, b: position }).map(({ a, b }) => ({
    name: `swap lines ${a} and ${b}`,
    apply: (l: Layout) => {
      const p = at(l, a)
      const q = at(l, b)
      if (p === null || q === null) return
      const x = l.files[p[0]]!.lines[p[1]]!
      l.files[p[0]]!.lines[p[1]] = l.files[q[0]]!.lines[q[1]]!
      l.files[q[0]]!.lines[q[1]] = x
    }
  })),
  fc.record({ from: position, to: position, copy: fc.boolean() }).map(({ from, to, copy }) => ({
    name: `${copy ? 'duplicate' : 'move'} line ${from} to ${to}`,
    apply: (l: Layout) => {
      const p = at(l, from)
      if (p === null) return
      const line = copy ? l.files[p[0]]!.lines[p[1]]! : l.files[p[0]]!.lines.splice(p[1], 1)[0]!
      const q = at(l, to) ?? p
      l.files[q[0]]!.lines.splice(q[1], 0, line)
    }
  })),
  fc.record({ pos: position, seed: fc.nat() }).map(({ pos, seed }) => ({
    name: `insert a forged record at ${pos}`,
    apply: (l: Layout) => {
      const p = at(l, pos)
      if (p === null) return
      const { hash: _hash, ...record } = JSON.parse(l.files[p[0]]!.lines[p[1]]!) as Record<string, unknown>
      record.caller = `forged-${seed}`
      // The attacker knows the format, not the key.
      const hash = createHmac('sha256', `guess-${seed}`).update(JSON.stringify(record)).digest('hex')
      l.files[p[0]]!.lines.splice(p[1], 0, JSON.stringify({ ...record, hash }))
    }
  })),
  fc.record({ pos: position, text: fc.string({ maxLength: 80 }).filter((s) => !s.includes('\n')) }).map(({ pos, text }) => ({
    name: `insert garbage at ${pos}`,
    apply: (l: Layout) => {
      const p = at(l, pos)
      if (p !== null) l.files[p[0]]!.lines.splice(p[1], 0, Buffer.from(text, 'utf8').toString('latin1'))
    }
  })),
  fc.record({ count: fc.integer({ min: 1, max: 250 }) }).map(({ count }) => ({
    name: `truncate the last ${count} lines`,
    apply: (l: Layout) => {
      for (let n = count, f = l.files.length - 1; n > 0 && f > 0; f--) {
        const take = Math.min(n, l.files[f]!.lines.length)
        l.files[f]!.lines.splice(l.files[f]!.lines.length - take, take)
        n -= take
      }
    }
  })),
  fc.record({ bytes: fc.integer({ min: 1, max: 600 }) }).map(({ bytes }) => ({
    name: `cut the last ${bytes} bytes of the live file`,
    apply: (l: Layout) => {
      const live = l.files.at(-1)!
      const content = live.lines.map((x) => `${x}\n`).join('') + (live.torn ?? '')
      const cut = content.slice(0, Math.max(0, content.length - bytes))
      const lines = linesOf(cut)
      live.torn = cut.length > 0 && !cut.endsWith('\n') ? lines.pop()! : null
      live.lines = lines
    }
  })),
  fc.record({ index: position }).map(({ index }) => ({
    name: `delete file ${index}`,
    // Never the oldest: deleting the oldest files is pruning, which the verifier accepts (with a note).
    apply: (l: Layout) => { l.files.splice(1 + (index % (l.files.length - 1)), 1) }
  })),
  fc.record({ index: position }).map(({ index }) => ({
    name: `empty rotated file ${index}`,
    apply: (l: Layout) => {
      const rotated = l.files.filter((f) => f.name !== 'audit.jsonl')
      if (rotated.length === 0) return
      const f = rotated[index % rotated.length]!
      f.lines = []
      f.torn = null
    }
  })),
  fc.record({ a: position, b: position }).map(({ a, b }) => ({
    name: `swap the contents of files ${a} and ${b}`,
    apply: (l: Layout) => {
      const x = l.files[a % l.files.length]!
      const y = l.files[b % l.files.length]!
      ;[x.lines, y.lines, x.torn, y.torn] = [y.lines, x.lines, y.torn, x.torn]
    }
  })),
  fc.record({ pos: position }).map(({ pos }) => ({
    name: `append a copy of line ${pos} at the end`,
    apply: (l: Layout) => {
      const p = at(l, pos)
      if (p !== null) l.files.at(-1)!.lines.push(l.files[p[0]]!.lines[p[1]]!)
    }
  }))
)

describe('random tampering over a 2,000-record log in about ten files (G-AUD-1)', () => {
  it('the pristine log verifies', () => {
    expect(pristine.files.length).toBeGreaterThanOrEqual(9)
    materialise(pristine)
    expect(verifyDir(workDir)).toMatchObject({ ok: true, records: expect.any(Number), firstSeq: 1, problem: null })
  })

  it(`detects every mutation at the first bad file, line and seq (${RUNS} runs)`, () => {
    let detected = 0
    fc.assert(fc.property(fc.array(mutations, { minLength: 1, maxLength: 3 }), (chosen) => {
      const layout = toLayout(pristine)
      for (const m of chosen) m.apply(layout)
      const mutated = toSnapshot(layout)
      const expected = expectedBreak(pristine, mutated)
      fc.pre(expected !== null)
      materialise(mutated)
      const result = verifyDir(workDir)
      const where = { file: result.problem?.file, line: result.problem?.line, seq: result.problem?.seq, truncated: result.problem?.kind === 'truncated' }
      if (result.ok || JSON.stringify(where) !== JSON.stringify(expected)) {
        throw new Error(`${chosen.map((m) => m.name).join(', ')}: expected ${JSON.stringify(expected)}, verifier said ${JSON.stringify(result.problem)} (ok ${result.ok})`)
      }
      detected += 1
    }), { numRuns: RUNS, seed: Number(process.env.AUDIT_PROPERTY_SEED ?? Date.now() % 2 ** 31) })
    expect(detected).toBeGreaterThan(RUNS * 0.9)
  }, 120_000)
})
