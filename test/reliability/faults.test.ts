// G-CHAOS-3: real resource faults, no mocks. The database locked by another process for 5 s, and the
// disk "full" (the running gateway's RLIMIT_FSIZE lowered with prlimit, so its writes fail with EFBIG):
// new work gets 503 with Retry-After (never 500, never a hang), no agent starts without its committed
// record and audit line, and once the fault clears new work succeeds without a restart.
import { afterEach, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import {
  chaosConfig, cleanupGatewayProcesses, postSigned, sleep, spawnRecords, startGatewayProcess, waitFor,
  type Answer, type GatewayProcess
} from '../helpers/gateway-process.ts'
import { conservationReport, readAudit } from '../helpers/conservation.ts'
import { acceptedRuns, body, expectBooksBalance, FINAL, getRun } from './util.ts'

afterEach(cleanupGatewayProcesses)

function refused (a: Answer): Record<string, unknown> {
  return { status: a.status, code: a.body?.code, retryAfter: a.headers.get('retry-after') !== null ? 'present' : 'missing' }
}
const OVERLOADED = { status: 503, code: 'HOOKGATE_OVERLOADED', retryAfter: 'present' }

/** A plain (synchronous-answer) request that must run and succeed, retried on 503 for up to `ms`. */
async function succeedsWithin (gw: GatewayProcess, text: string, ms: number): Promise<{ answer: Answer | null, tries: Array<number | string> }> {
  const deadline = Date.now() + ms
  const tries: Array<number | string> = []
  for (;;) {
    const a = await postSigned(gw.url, body(text), { signal: AbortSignal.timeout(10_000) }).catch((err: Error) => { tries.push(String(err.cause ?? err.message)); return null })
    if (a !== null) tries.push(a.status)
    if (a !== null && a.status === 200) return { answer: a, tries }
    if (Date.now() >= deadline || (a !== null && a.status !== 503)) return { answer: a, tries }
    await sleep(200)
  }
}

async function readyStatus (gw: GatewayProcess): Promise<number> {
  try {
    const r = await fetch(`${gw.url}/readyz`, { signal: AbortSignal.timeout(3000) })
    await r.arrayBuffer()
    return r.status
  } catch {
    return 0
  }
}

function fileSizes (stateDir: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const name of ['audit.jsonl', 'hookgate.db', 'hookgate.db-wal', 'hookgate.db-shm']) {
    const path = join(stateDir, name)
    if (existsSync(path)) out[name] = statSync(path).size
  }
  return out
}

describe('resource faults', () => {
  it('database locked for 5 s: new work gets 503 with Retry-After within a few seconds, nothing spawns, and work succeeds again once it is released', async () => {
    const gw = await startGatewayProcess(chaosConfig())
    const warm = await succeedsWithin(gw, 'warm-up ms=100', 0)
    expect(warm.answer?.body?.status, `a run before the fault (${warm.answer?.text.slice(0, 300)})`).toBe('succeeded')
    const dbPath = join(gw.stateDir, 'hookgate.db')
    expect(existsSync(dbPath), `the store is ${dbPath}`).toBe(true)
    const spawnsBefore = spawnRecords(gw).length

    const db = new DatabaseSync(dbPath, { timeout: 5000 })
    db.exec('BEGIN EXCLUSIVE')
    const lockedAt = Date.now()
    let during: Answer[] = []
    try {
      during = await Promise.all([1, 2].map(async (i) => await postSigned(gw.url, body(`locked-${i} ms=100`), { async: true, signal: AbortSignal.timeout(12_000) })
        .catch((err: Error) => ({ status: 0, headers: new Headers(), body: null, text: String(err.cause ?? err.message), ms: Date.now() - lockedAt }))))
      const left = 5000 - (Date.now() - lockedAt)
      if (left > 0) await sleep(left)
    } finally {
      db.exec('COMMIT')
      db.close()
    }
    const log = during.some((a) => a.status !== 503) ? `\ngateway log:\n${gw.output().slice(-2500)}` : ''
    for (const a of during) {
      expect.soft(refused(a), `a request while the database is locked (${a.text.slice(0, 300)})${log}`).toEqual(OVERLOADED)
      expect.soft(a.ms, 'ms to answer while the database is locked').toBeLessThan(4500)
    }
    expect.soft(spawnRecords(gw).length - spawnsBefore, 'agents started while the database was locked').toBe(0)

    // Released: new work succeeds, no restart.
    const after = await succeedsWithin(gw, 'after-lock ms=100', 3000)
    expect.soft({ status: after.answer?.status, run: after.answer?.body?.status, tries: after.tries }, 'a run after the lock is released')
      .toMatchObject({ status: 200, run: 'succeeded' })
    expect.soft(await readyStatus(gw), '/readyz after the lock').toBe(200)
    // Nothing was accepted for the refused requests.
    const accepted = acceptedRuns(readAudit(gw.stateDir))
    expect.soft(accepted.size, 'runs accepted: the warm-up, the one after, and any 2xx while locked').toBe(2 + during.filter((a) => a.status >= 200 && a.status < 300).length)
    const books = await expectBooksBalance(gw)
    console.log(`G-CHAOS-3 database locked 5 s: ${during.filter((a) => a.status === 503).length}/${during.length} refused with 503 (answered in ${during.map((a) => a.ms).join(', ')} ms), ` +
      `${spawnRecords(gw).length - spawnsBefore - 1} agents started while locked, after the lock: ${after.answer?.body?.status} (tries ${after.tries.join(' ')}); books ${JSON.stringify(books?.db.counts)}`)
  }, 40_000)

  it('disk full (RLIMIT_FSIZE): new work gets 503, /readyz turns not ready, no spawn without its records, a running run is not silently lost, and work succeeds again once space is back', async () => {
    const gw = await startGatewayProcess(chaosConfig())
    const warm = await succeedsWithin(gw, 'warm-up ms=100', 0)
    expect(warm.answer?.body?.status, `a run before the fault (${warm.answer?.text.slice(0, 300)})`).toBe('succeeded')
    // A run that is running when the disk fills and finishes while it is full.
    const long = await postSigned(gw.url, body('through-the-fault ms=1500'), { async: true })
    expect(long.status).toBe(202)
    const longId = String(long.body!.id)
    await waitFor(() => spawnRecords(gw).some((s) => s.prompt.startsWith('through-the-fault')) ? true : undefined, 5000)
    const spawnsBefore = spawnRecords(gw).length

    // "Just above the current file sizes": the next audit line does not fit, and the store is past it too.
    const sizes = fileSizes(gw.stateDir)
    const limit = (sizes['audit.jsonl'] ?? 0) + 100
    execFileSync('prlimit', ['--pid', String(gw.pid), `--fsize=${limit}:`])
    const faultAt = Date.now()
    let during: Answer[] = []
    const readiness: number[] = []
    try {
      for (let i = 0; i < 3; i++) {
        during.push(await postSigned(gw.url, body(`disk-full-${i} ms=100`), { async: true, signal: AbortSignal.timeout(10_000) })
          .catch((err: Error) => ({ status: 0, headers: new Headers(), body: null, text: String(err.cause ?? err.message), ms: 0 })))
      }
      // Readiness turns not ready at some point while the disk is full (and the long run finishes meanwhile).
      while (Date.now() - faultAt < 3000) {
        readiness.push(await readyStatus(gw))
        if (readiness.at(-1) === 503 && Date.now() - faultAt > 2000) break
        await sleep(100)
      }
    } finally {
      try { execFileSync('prlimit', ['--pid', String(gw.pid), '--fsize=unlimited:'], { stdio: 'pipe' }) } catch {}
    }
    const died = await Promise.race([gw.exited, sleep(50).then(() => null)])
    expect(died, `the gateway survived the full disk (output:\n${gw.output().slice(-3000)})`).toBeNull()
    const log = during.some((a) => a.status !== 503) ? `\ngateway log:\n${gw.output().slice(-2500)}` : ''
    for (const a of during) {
      expect.soft(refused(a), `a request while the disk is full (limit ${limit}, sizes ${JSON.stringify(sizes)}; ${a.text.slice(0, 300)})${log}`).toEqual(OVERLOADED)
      expect.soft(a.ms, 'ms to answer while the disk is full').toBeLessThan(5000)
    }
    expect.soft(readiness.includes(503), `/readyz answered 503 at some point while the disk was full (saw ${JSON.stringify(readiness)})`).toBe(true)
    expect.soft(spawnRecords(gw).length - spawnsBefore, 'agents started while the disk was full').toBe(0)

    // Space is back: new work succeeds without a restart, and readiness returns.
    const after = await succeedsWithin(gw, 'after-disk-full ms=100', 5000)
    expect.soft({ status: after.answer?.status, run: after.answer?.body?.status, tries: after.tries, text: after.answer?.text.slice(0, 200) }, 'a run after space is back')
      .toMatchObject({ status: 200, run: 'succeeded' })
    const readyAfter = await waitFor(async () => (await readyStatus(gw)) === 200 ? 200 : undefined, 5000).catch(() => 'never 200')
    expect.soft(readyAfter, '/readyz after space is back').toBe(200)

    // The run that finished while the disk was full: final in the API, and the same final status in
    // the database and the audit log (recorded late, or interrupted with a record) — not silently lost.
    const recorded = await waitFor(async () => {
      const api = (await getRun(gw.url, longId)).run?.status
      const report = conservationReport(gw.stateDir)
      const db = report.db.byRun?.get(longId)
      const audit = report.audit.byRun.get(longId)
      const seen = { api, db, audit }
      return FINAL.includes(String(api)) && db === api && audit === api ? seen : undefined
    }, 5000).catch(async () => {
      let db: unknown = 'unreadable'
      let audit: unknown = 'unreadable'
      try { const r = conservationReport(gw.stateDir); db = r.db.byRun?.get(longId); audit = r.audit.byRun.get(longId) } catch (err) { db = audit = (err as Error).message }
      return { api: (await getRun(gw.url, longId)).run?.status, db, audit }
    })
    expect.soft(recorded, 'the run that finished during the fault: API, database and audit agree on a final status')
      .toEqual({ api: expect.stringMatching(/^(succeeded|interrupted)$/), db: recorded.api, audit: recorded.api })
    const books = await expectBooksBalance(gw)
    console.log(`G-CHAOS-3 disk full: ${during.filter((a) => a.status === 503).length}/${during.length} refused with 503, /readyz ${JSON.stringify([...new Set(readiness)])} while full, ` +
      `the run that finished meanwhile: ${JSON.stringify(recorded)}, after: ${after.answer?.body?.status} (tries ${after.tries.join(' ')}), /readyz ${readyAfter}; books ${JSON.stringify(books?.db.counts)}`)
  }, 40_000)

  it('disk full for the database only (the audit log still has room): a run the store could not commit is refused with 503 and the audit log does not claim it was accepted', async () => {
    const gw = await startGatewayProcess(chaosConfig())
    const sizes = fileSizes(gw.stateDir)
    const db = new DatabaseSync(join(gw.stateDir, 'hookgate.db'), { readOnly: true })
    const pageSize = Number((db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size)
    db.close()
    // A WAL frame is 24 bytes of header and one page, after the WAL's 32-byte header: with the limit
    // below the end of the first frame no database write can complete, wherever the WAL is; the audit
    // log, far smaller, still has room for several lines.
    const limit = 32 + 24 + pageSize - 100
    expect((sizes['audit.jsonl'] ?? 0) + 1500, `precondition: the audit log (${JSON.stringify(sizes)}) is small enough to keep room under ${limit} bytes`).toBeLessThan(limit)
    const spawnsBefore = spawnRecords(gw).length
    execFileSync('prlimit', ['--pid', String(gw.pid), `--fsize=${limit}:`])
    let during: Answer
    try {
      during = await postSigned(gw.url, body('db-full ms=100'), { async: true, signal: AbortSignal.timeout(10_000) })
        .catch((err: Error) => ({ status: 0, headers: new Headers(), body: null, text: String(err.cause ?? err.message), ms: 0 }))
    } finally {
      try { execFileSync('prlimit', ['--pid', String(gw.pid), '--fsize=unlimited:'], { stdio: 'pipe' }) } catch {}
    }
    const died = await Promise.race([gw.exited, sleep(50).then(() => null)])
    expect(died, `the gateway survived the full disk (output:\n${gw.output().slice(-3000)})`).toBeNull()
    expect.soft(refused(during), `a request while the database cannot grow (limit ${limit}, sizes ${JSON.stringify(sizes)}; ${during.text.slice(0, 300)})${during.status !== 503 ? `\ngateway log:\n${gw.output().slice(-2500)}` : ''}`).toEqual(OVERLOADED)
    expect.soft(spawnRecords(gw).length - spawnsBefore, 'agents started while the database could not grow').toBe(0)
    const after = await succeedsWithin(gw, 'after-db-full ms=100', 5000)
    expect.soft({ status: after.answer?.status, run: after.answer?.body?.status, tries: after.tries, text: after.answer?.text.slice(0, 200) }, 'a run after space is back')
      .toMatchObject({ status: 200, run: 'succeeded' })
    const accepted = acceptedRuns(readAudit(gw.stateDir))
    expect.soft(accepted.size, 'runs the audit log says were accepted: the one after the fault (and the refused one only if it got 2xx)').toBe(1 + (during.status >= 200 && during.status < 300 ? 1 : 0))
    const books = await expectBooksBalance(gw)
    console.log(`G-CHAOS-3 database cannot grow: the request got ${during.status} ${String(during.body?.code ?? '')}, audit \`accepted\` records ${accepted.size} (the run after), after: ${after.answer?.body?.status}; books ${JSON.stringify(books?.db.counts)}`)
  }, 40_000)
})
