// The conservation check itself (test/helpers/conservation.ts), on hand-made state directories: it
// must pass a balanced one and name every kind of imbalance, or the reliability tests prove nothing.
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { assertConservation, conservationReport } from '../helpers/conservation.ts'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

type Line = { event: string, run?: string, status?: string, reason?: string }

function stateDir (db: Array<[string, string]>, audit: Line[], rotated: Line[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-conservation-'))
  dirs.push(dir)
  const handle = new DatabaseSync(join(dir, 'hookgate.db'))
  handle.exec('CREATE TABLE runs (seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, status TEXT NOT NULL)')
  const insert = handle.prepare('INSERT INTO runs (id, status) VALUES (?, ?)')
  for (const [id, status] of db) insert.run(id, status)
  handle.close()
  let seq = 0
  const lines = (list: Line[]) => list.map((l) => JSON.stringify({ seq: ++seq, ts: '2026-11-21T00:00:00.000Z', caller: 'ci', user: null, run: null, ...l, prev: 'x', hash: 'y' }) + '\n').join('')
  // Rotated records come first in seq order.
  if (rotated.length > 0) writeFileSync(join(dir, 'audit.000001.jsonl'), lines(rotated))
  writeFileSync(join(dir, 'audit.jsonl'), lines(audit))
  return dir
}

const lifecycle = (run: string, end: Line | null, started = true): Line[] => [
  { event: 'request' },
  { event: 'accepted', run },
  ...(started ? [{ event: 'started', run }] : []),
  ...(end !== null ? [{ ...end, run }] : [])
]

describe('assertConservation', () => {
  it('balances: every status once, across a rotated file, with queued and running runs still open', () => {
    const dir = stateDir(
      [['r1', 'succeeded'], ['r2', 'failed'], ['r3', 'timed_out'], ['r4', 'cancelled'], ['r5', 'interrupted'], ['r6', 'queued'], ['r7', 'running']],
      [
        ...lifecycle('r3', { event: 'finished', status: 'timed_out' }),
        ...lifecycle('r4', { event: 'cancelled' }),
        ...lifecycle('r5', { event: 'interrupted', reason: 'crash' }),
        ...lifecycle('r6', null, false),
        ...lifecycle('r7', null),
        { event: 'rejected', run: 'r1', reason: 'replayed' }
      ],
      [...lifecycle('r1', { event: 'finished', status: 'succeeded' }), ...lifecycle('r2', { event: 'finished', status: 'failed' })]
    )
    const report = assertConservation(dir)
    expect(report.db.counts).toEqual({ succeeded: 1, failed: 1, timed_out: 1, cancelled: 1, interrupted: 1, queued: 1, running: 1 })
    expect(report.audit.counts).toEqual(report.db.counts)
    expect(report.audit.accepted).toBe(7)
    console.log(`conservation check: a balanced state directory (7 runs, one per status, across a rotated audit file) gives ${report.problems.length} problems: ` +
      `accepted ${report.audit.accepted} = ${Object.entries(report.db.counts).map(([s, n]) => `${s} ${n}`).join(' + ')} in the database and the audit log alike`)
  })

  it.each([
    ['a run accepted in the audit log but missing from the database', [['r1', 'succeeded']], [...lifecycle('r1', { event: 'finished', status: 'succeeded' }), ...lifecycle('r2', { event: 'interrupted' })], /r2: accepted in the audit log, missing from the database/],
    ['a run in the database never accepted in the audit log', [['r1', 'succeeded'], ['r2', 'queued']], lifecycle('r1', { event: 'finished', status: 'succeeded' }), /r2: in the database, never accepted/],
    ['statuses that disagree', [['r1', 'running']], lifecycle('r1', { event: 'interrupted' }), /r1: running in the database, interrupted by the audit log/],
    ['two final records (a run finished twice)', [['r1', 'interrupted']], [...lifecycle('r1', { event: 'finished', status: 'succeeded' }), { event: 'interrupted', run: 'r1' }], /r1 has 2 final records/],
    ['a run accepted twice', [['r1', 'queued']], [{ event: 'accepted', run: 'r1' }, { event: 'accepted', run: 'r1' }], /r1 accepted twice/],
    ['a start without acceptance', [], [{ event: 'started', run: 'r9' }], /r9 started .* without an earlier accepted record/],
    ['a finish without acceptance', [], [{ event: 'finished', run: 'r9', status: 'succeeded' }], /r9 finished .* without an earlier accepted record/],
    ['an unknown status in the database', [['r1', 'lost']], lifecycle('r1', { event: 'finished', status: 'succeeded' }), /unknown status "lost"/],
    ['a finished record without a final status', [['r1', 'running']], lifecycle('r1', { event: 'finished', status: 'running' }), /has status "running"/]
  ] as Array<[string, Array<[string, string]>, Line[], RegExp]>)('names %s', (_what, db, audit, problem) => {
    const dir = stateDir(db, audit)
    expect(conservationReport(dir).problems.join('\n')).toMatch(problem)
    expect(() => assertConservation(dir)).toThrow(/conservation violated/)
  })

  it('refuses a state directory without a database, or an audit line that is not JSON', () => {
    const dir = stateDir([], [])
    rmSync(join(dir, 'hookgate.db'))
    expect(() => assertConservation(dir)).toThrow(/no database/)
    const broken = stateDir([], [])
    writeFileSync(join(broken, 'audit.jsonl'), '{"seq":1,"event":"accepted","run":"r1"}\n{"seq":2,"ev')
    expect(() => assertConservation(broken)).toThrow(/audit.jsonl:2 is not JSON/)
  })
})
