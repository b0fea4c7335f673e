// Start-up after a crash, in process: runs the store still has as queued or running are interrupted
// before the first request, and the audit log ends up counting exactly the runs the store has, even
// when the crash fell between the store's commit and the `accepted` line.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { AuditLog } from '../../src/audit/audit-log.ts'
import type { Run } from '../../src/schemas/run.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { ADMIN, buildTestGateway } from '../helpers/build-app.ts'
import { runObject } from '../helpers/run-object.ts'

function run (id: string, status: Run['status'], createdAt: number): Run {
  return runObject(id, createdAt, { status, started_at: status === 'running' ? new Date(createdAt + 10).toISOString() : null })
}

describe('recovery at start-up', () => {
  it('interrupts left-over runs before serving, and writes the accepted line a crash kept from the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookgate-recover-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const created = Date.now() - 60_000
    const request = { caller: 'ci', user: 'ana', thread: null, command: 'run', prompt: 'p', tools: { allow: [], deny: [] } }
    // The state a crash leaves: one run fully accepted and running, one committed a moment before
    // its audit line could be written.
    const store = new SqliteStore(dir)
    const audit = new AuditLog(dir)
    await store.createRun({ run: run('run_logged', 'queued', created), request, tokenHash: '00'.repeat(32), keys: [], now: created, keysExpireAt: created + 1e9 },
      () => audit.append({ event: 'accepted', caller: 'ci', user: 'ana', run: 'run_logged' }))
    await store.updateRun(run('run_logged', 'running', created), { durable: true })
    await store.createRun({ run: run('run_unlogged', 'queued', created + 5), request, tokenHash: '00'.repeat(32), keys: [], now: created, keysExpireAt: created + 1e9 })
    await store.close()
    audit.close()

    const gw = await buildTestGateway({ stateDir: dir })
    onTestFinished(() => gw.close())
    const list = await gw.app.inject({ url: '/v1/runs', headers: { authorization: `Bearer ${ADMIN}` } })
    expect(list.json().runs.map((r: Run) => [r.id, r.status, r.error])).toEqual([
      ['run_unlogged', 'interrupted', expect.stringMatching(/not started/)],
      ['run_logged', 'interrupted', expect.stringMatching(/crash/)]
    ])
    const lines = gw.audit().filter((e) => typeof e.run === 'string')
    expect(lines.map((e) => [e.event, e.run, e.reason ?? null])).toEqual([
      ['accepted', 'run_logged', null],
      ['accepted', 'run_unlogged', 'recovered'],
      ['interrupted', 'run_logged', 'crash'],
      ['interrupted', 'run_unlogged', 'not started']
    ])
  })
})
