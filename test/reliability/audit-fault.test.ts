// The audit log alone cannot be written (a real fault: the gateway keeps its runs in memory here, so
// its only growing file is audit.jsonl, and its RLIMIT_FSIZE is lowered to that file's size). Nothing
// may run without its `accepted` line: new work gets 503 with Retry-After, /readyz says why, no agent
// starts; once the limit is raised the same gateway accepts work again and the chain still verifies.
import { execFileSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  auditVerify, chaosConfig, cleanupGatewayProcesses, postSigned, sleep, spawnRecords, startGatewayProcess
} from '../helpers/gateway-process.ts'
import { readAudit } from '../helpers/conservation.ts'
import { expectApiBooksBalance } from './api-books.ts'
import { acceptedRuns, body } from './util.ts'

afterEach(cleanupGatewayProcesses)

async function ready (url: string): Promise<{ status: number, body: string }> {
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3000) })
  return { status: res.status, body: await res.text() }
}

describe('audit log not writable', () => {
  it('refuses new work with 503, starts no agent, and recovers without a restart once it can write again', async () => {
    const gw = await startGatewayProcess(chaosConfig({ extra: 'store: memory' }))
    const warm = await postSigned(gw.url, body('warm-up ms=50'))
    expect(warm.body?.status).toBe('succeeded')
    const spawned = spawnRecords(gw).length
    const size = statSync(join(gw.stateDir, 'audit.jsonl')).size

    execFileSync('prlimit', ['--pid', String(gw.pid), `--fsize=${size}:`])
    let during: Awaited<ReturnType<typeof postSigned>>[]
    let readyDuring: { status: number, body: string }
    try {
      during = await Promise.all([1, 2, 3].map((i) => postSigned(gw.url, body(`blocked-${i} ms=50`), { async: true })))
      readyDuring = await ready(gw.url)
    } finally {
      execFileSync('prlimit', ['--pid', String(gw.pid), '--fsize=unlimited:'])
    }
    for (const answer of during) {
      expect({ status: answer.status, code: answer.body?.code, retryAfter: answer.headers.get('retry-after') !== null })
        .toEqual({ status: 503, code: 'HOOKGATE_OVERLOADED', retryAfter: true })
    }
    expect(readyDuring).toEqual({ status: 503, body: JSON.stringify({ status: 'audit log unavailable' }) })
    await sleep(300)
    const spawnedDuring = spawnRecords(gw).length - spawned
    expect(spawnedDuring).toBe(0)

    expect((await ready(gw.url)).status).toBe(200)
    const after = await postSigned(gw.url, body('after ms=50'))
    expect(after.body?.status).toBe('succeeded')
    expect(spawnRecords(gw).length).toBe(spawned + 1)
    // The log accepted exactly the two runs that ran, and its chain is whole.
    expect(acceptedRuns(readAudit(gw.stateDir)).size).toBe(2)
    const verified = await auditVerify(gw)
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
    const books = await expectApiBooksBalance(gw)
    console.log(`G-CHAOS-3 audit log unwritable: ${during.filter((a) => a.status === 503 && a.headers.get('retry-after') !== null).length}/${during.length} requests refused with 503 and Retry-After, ` +
      `/readyz ${readyDuring.status}, agents started during the fault ${spawnedDuring}; recovered without a restart (${after.body?.status}); ` +
      `books: audit ${JSON.stringify(books.audit)} = gateway ${JSON.stringify(books.api)}`)
  }, 30_000)
})
