// Write faults for real, no fs mocks: a child process whose file-size limit (RLIMIT_FSIZE) is
// lowered and raised with prlimit while it runs (Node ignores SIGXFSZ, so writes fail with EFBIG,
// after a short write when the limit falls mid-line), and a descriptor really closed under the log.
// A failed append throws AuditWriteError, leaves no torn line, does not advance the chain, and the
// next append after the fault clears succeeds without a restart.
import { closeSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { AuditLog, AuditWriteError } from '../../src/audit/audit-log.ts'
import { AuditChild, setFsizeLimit } from './child.ts'
import { linesOf, logFileNames, tempStateDir, verifyDir } from './helpers.ts'

function start (dir: string, options: { rotateBytes?: number, fsize?: number } = {}): AuditChild {
  const child = AuditChild.start(dir, options)
  onTestFinished(() => { child.process.kill('SIGKILL') })
  return child
}

function liveContent (dir: string): string {
  return readFileSync(join(dir, 'audit.jsonl'), 'latin1')
}

describe('a full file-size limit (EFBIG) on a running gateway', () => {
  it('fails a whole group of appends (one write) cleanly: every waiter is refused, nothing is written, the next group succeeds', async () => {
    const dir = tempStateDir()
    const child = start(dir)
    expect(await child.send({ op: 'group', count: 4 })).toMatchObject({ ok: true, head: { seq: 4 } })
    const { pid, head, size } = await child.send({ op: 'state' })
    const before = liveContent(dir)
    // Room for two of the next group's lines, not for all five: the group is one write, so none of it stays.
    await setFsizeLimit(pid!, size! + 400)
    const failed = await child.send({ op: 'group', count: 5 })
    expect(failed).toMatchObject({ ok: false, failed: 5, code: 'EFBIG', isWriteError: true, head, healthy: false, size })
    expect(liveContent(dir)).toBe(before)
    await setFsizeLimit(pid!, 'unlimited')
    expect(await child.send({ op: 'group', count: 5 })).toMatchObject({ ok: true, healthy: true, head: { seq: head!.seq + 5 } })
    await child.close()
    expect(linesOf(liveContent(dir)).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(verifyDir(dir)).toMatchObject({ ok: true, records: 9, notes: [] })
  })

  it('fails the append cleanly, keeps the file whole, and succeeds once the limit is raised', async () => {
    const dir = tempStateDir()
    const child = start(dir)
    for (let i = 0; i < 5; i++) expect((await child.send({ op: 'append' })).ok).toBe(true)
    const { pid, head, size } = await child.send({ op: 'state' })
    const before = liveContent(dir)
    // Room for part of the next line only: the kernel writes what fits, then refuses the rest.
    await setFsizeLimit(pid!, size! + 60)
    const secret = 'do-not-echo-this-value'
    for (const event of ['request', 'finished'] as const) {
      const failed = await child.send({ op: 'append', event, fields: { user: secret } })
      expect(failed).toMatchObject({ ok: false, isWriteError: true, name: 'AuditWriteError', code: 'EFBIG', head, healthy: false, size })
      expect(failed.message).toMatch(/audit log audit\.jsonl: the record was not written \(EFBIG: file size limit reached\); the next append retries/)
      expect(failed.message).not.toContain(secret)
      expect(liveContent(dir)).toBe(before)
    }
    expect(await child.send({ op: 'probe' })).toMatchObject({ ok: false, healthy: false })
    await setFsizeLimit(pid!, 'unlimited')
    expect(await child.send({ op: 'probe' })).toMatchObject({ ok: true, healthy: true, size })
    const after = await child.send({ op: 'append', event: 'finished' })
    expect(after).toMatchObject({ ok: true, healthy: true, head: { seq: head!.seq + 1 } })
    await child.close()
    const lines = linesOf(liveContent(dir))
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5, 6])
    expect(lines.join('\n')).not.toContain(secret)
    expect(verifyDir(dir)).toMatchObject({ ok: true, records: 6, notes: [] })
  })

  it('started under a limit: fails with nothing written, at the limit exactly, and never advances across repeated failures', async () => {
    const dir = tempStateDir()
    // Enough for the anchor (192 bytes) and a few records, not for eight.
    const child = start(dir, { fsize: 900 })
    let written = 0
    let failures = 0
    for (let i = 0; i < 8; i++) {
      const r = await child.send({ op: 'append', event: 'accepted' })
      if (r.ok) written += 1
      else {
        failures += 1
        expect(r).toMatchObject({ code: 'EFBIG', head: { seq: written } })
        expect(liveContent(dir).endsWith('\n')).toBe(true)
      }
    }
    expect(written).toBeGreaterThanOrEqual(2)
    expect(failures).toBeGreaterThanOrEqual(3)
    const { pid } = await child.send({ op: 'state' })
    await setFsizeLimit(pid!, 'unlimited')
    expect(await child.send({ op: 'append', event: 'accepted' })).toMatchObject({ ok: true, head: { seq: written + 1 } })
    await child.close()
    expect(verifyDir(dir)).toMatchObject({ ok: true, records: written + 1 })
  })

  it('a fault while rotating: the next file is started once the limit is raised, chain intact', async () => {
    const dir = tempStateDir()
    const child = start(dir, { rotateBytes: 1500 })
    const { pid } = await child.send({ op: 'state' })
    // Fill the live file until the next record (about 250 bytes) must go to a new file.
    let state = await child.send({ op: 'append' })
    while (state.size! <= 1350) state = await child.send({ op: 'append' })
    const files = logFileNames(dir).length
    // The new file cannot take even its first (rotation) record.
    await setFsizeLimit(pid!, 100)
    const failed = await child.send({ op: 'append' })
    expect(failed).toMatchObject({ ok: false, code: 'EFBIG', healthy: false, head: state.head, size: 0 })
    expect(logFileNames(dir)).toHaveLength(files + 1)
    expect(await child.send({ op: 'append' })).toMatchObject({ ok: false, head: state.head, size: 0 })
    await setFsizeLimit(pid!, 'unlimited')
    expect(await child.send({ op: 'append', fields: { n: 'after' } })).toMatchObject({ ok: true, healthy: true, head: { seq: state.head!.seq + 2 } })
    await child.close()
    const live = linesOf(liveContent(dir)).map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(live.map((r) => r.reason ?? r.n)).toEqual(['rotated', 'after'])
    expect(verifyDir(dir)).toMatchObject({ ok: true, problem: null, notes: [], lastSeq: state.head!.seq + 2 })
  })
})

describe('a descriptor closed under the log (EBADF)', () => {
  it('throws AuditWriteError, then reopens the file on the next append and continues the chain', async () => {
    const dir = tempStateDir()
    const log = new AuditLog(dir)
    onTestFinished(() => log.close())
    log.append({ event: 'request' })
    const head = log.head
    const live = join(dir, 'audit.jsonl')
    const fd = readdirSync('/proc/self/fd').map(Number).find((n) => {
      try { return readlinkSync(`/proc/self/fd/${n}`) === live } catch { return false }
    })
    expect(fd).toBeDefined()
    closeSync(fd!)
    let error: unknown
    try { log.append({ event: 'accepted' }) } catch (err) { error = err }
    expect(error).toBeInstanceOf(AuditWriteError)
    expect(error).toMatchObject({ code: 'EBADF' })
    expect(log.head).toEqual(head)
    expect(log.healthy()).toBe(false)
    log.append({ event: 'finished' })
    expect(log.healthy()).toBe(true)
    expect(log.head.seq).toBe(2)
    // The head anchor follows once the lifecycle record is on disk.
    await log.synced()
    expect(verifyDir(dir)).toMatchObject({ ok: true, records: 2, notes: [] })
  })

  it('an entry that cannot be written as JSON is the caller\'s error, not a fault of the log', () => {
    const dir = tempStateDir()
    const log = new AuditLog(dir)
    onTestFinished(() => log.close())
    expect(() => log.append({ event: 'request', n: 1n })).toThrow(TypeError)
    expect(log.healthy()).toBe(true)
    expect(log.head.seq).toBe(0)
  })

  it('after close(), append throws ECLOSED', () => {
    const dir = tempStateDir()
    const log = new AuditLog(dir)
    log.close()
    expect(() => log.append({ event: 'request' })).toThrow(expect.objectContaining({ name: 'AuditWriteError', code: 'ECLOSED' }))
    expect(log.healthy()).toBe(false)
  })
})
