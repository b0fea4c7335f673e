// The SQLite store's durability, observed at the system-call level with strace: a durable write
// (acceptance, start) is on disk when it settles: the write-ahead log was written and then
// fdatasync'ed, on the thread pool. Concurrent durable writes share syncs (group commit), and a
// plain write (a state update, the agent's process record) waits for no sync at all.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'

const CHILD = new URL('./fixtures/durable-writes.ts', import.meta.url).pathname

describe('sqlite store durability', () => {
  // strace is installed by .ci/run; without it this test fails rather than passing silently.
  it('syncs the write-ahead log before a durable write settles, once for a burst, never for a plain write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookgate-sqlite-sync-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const trace = join(dir, 'trace')
    execFileSync('strace', ['-f', '-qq', '-y', '-e', 'trace=write,pwrite64,fdatasync,fsync', '-o', trace, process.execPath, CHILD, join(dir, 'state')], { stdio: 'ignore' })
    // One letter per system call: W a write to the -wal, S its fdatasync, F any other fsync of the
    // database's files (a FULL commit's), M a marker; checkpoints are left out.
    const calls = readFileSync(trace, 'utf8').split('\n').flatMap((line) => {
      const marker = /write\(1<[^>]*>, "MARK (\w+)/.exec(line)
      if (marker !== null) return [`M:${marker[1]}`]
      if (/\bp?write(64)?\(\d+<[^>]*hookgate\.db-wal>/.test(line)) return ['W']
      if (/\bfdatasync\(\d+<[^>]*hookgate\.db-wal>/.test(line)) return ['S']
      if (/\bf(data)?sync\(\d+<[^>]*hookgate\.db(-wal|-shm)?>/.test(line)) return ['F']
      return []
    })
    const at = (name: string): number => calls.indexOf(`M:${name}`)
    expect(at('opened')).toBeGreaterThanOrEqual(0)
    expect(at('created')).toBeGreaterThan(at('opened'))
    // (Before 'opened' the database was created: its own syncs are not the subject here.)
    const first = calls.slice(at('opened') + 1, at('created'))
    // The run's commit went to the log, then the log was synced, before createRun settled.
    expect(first.lastIndexOf('S')).toBeGreaterThan(first.lastIndexOf('W'))
    expect(first).not.toContain('F')
    // A plain update: written, never synced.
    const plain = calls.slice(at('created') + 1, at('updated'))
    expect(plain).toContain('W')
    expect(plain).not.toContain('S')
    // 20 concurrent acceptances: all synced before the burst settled, with far fewer syncs than commits.
    const burst = calls.slice(at('updated') + 1, at('burst'))
    const syncs = burst.filter((c) => c === 'S').length
    expect(burst.lastIndexOf('S')).toBeGreaterThan(burst.lastIndexOf('W'))
    expect(syncs).toBeGreaterThanOrEqual(1)
    expect(syncs).toBeLessThan(20)
    expect(burst).not.toContain('F')
    // The process record: written, not synced (a crash of the gateway keeps it; see RunStore).
    const recorded = calls.slice(at('burst') + 1, at('process'))
    expect(recorded).toContain('W')
    expect(recorded).not.toContain('S')
    // The result event wrote the final row (not synced); the durable update then syncs it, writing nothing more.
    const result = calls.slice(at('process') + 1, at('result'))
    expect(result).toContain('W')
    expect(result).not.toContain('S')
    const final = calls.slice(at('result') + 1, at('final'))
    expect(final).toEqual(['S'])
  })
})
