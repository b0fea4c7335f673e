// The same signed delivery never runs the agent twice: not as a concurrent pair, not 60 s later, not
// after a restart, and not after the key has been kept for days.
// The gateway's clock is injected, so "later" is exact and the signature stays valid.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ADMIN, buildTestGateway, type TestGateway } from '../helpers/build-app.ts'

const DAY = 24 * 3600 * 1000

function keptStateDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-once-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A clock the test moves; the gateway and the signer both read it. */
function clock (start = Date.parse('2026-11-21T10:00:00Z')) {
  let now = start
  return { now: () => now, advance: (ms: number) => { now += ms } }
}

async function gateway (stateDir: string, now: () => number): Promise<TestGateway> {
  const gw = await buildTestGateway({ stateDir, now, callers: `{ ci: { scheme: hmac-sha256, secrets: [test-secret-0123456789abcdef0123], max_age: 3600, commands: [run], default_command: run } }` })
  onTestFinished(() => gw.close())
  return gw
}

async function runCount (gw: TestGateway): Promise<number> {
  const res = await gw.app.inject({ url: '/v1/runs?limit=100', headers: { authorization: `Bearer ${ADMIN}` } })
  return (res.json() as { runs: unknown[] }).runs.length
}

describe('exactly once', () => {
  it('runs a signed delivery once: concurrent pair, 60 s later, and after a restart', async () => {
    const dir = keptStateDir()
    const t = clock()
    const first = await gateway(dir, t.now)
    const delivery = first.signed({ text: 'list the files' })
    const send = (gw: TestGateway) => gw.app.inject({ method: 'POST', url: '/v1/hooks/ci?wait=10', payload: delivery.payload, headers: delivery.headers })

    const pair = await Promise.all([send(first), send(first)])
    expect(pair.map((r) => r.statusCode)).toEqual([200, 200])
    const id = pair[0]!.json().id as string
    expect(pair[1]!.json().id).toBe(id)
    expect(pair.map((r) => r.headers['hookgate-replayed'] ?? 'original').sort()).toEqual(['original', 'true'])

    t.advance(60_000)
    const later = await send(first)
    expect(later.headers['hookgate-replayed']).toBe('true')
    expect(later.json()).toMatchObject({ id, status: 'succeeded' })
    expect(later.json()).not.toHaveProperty('token')
    await first.close()

    t.advance(60_000)
    const second = await gateway(dir, t.now)
    const afterRestart = await send(second)
    expect(afterRestart.statusCode).toBe(200)
    expect(afterRestart.headers['hookgate-replayed']).toBe('true')
    expect(afterRestart.json()).toMatchObject({ id, status: 'succeeded', output: expect.any(String) })
    expect(await runCount(second)).toBe(1)
    expect(second.audit().filter((e) => e.event === 'accepted')).toHaveLength(1)
    expect(second.audit().filter((e) => e.event === 'rejected' && e.reason === 'replayed').map((e) => e.run)).toEqual([id, id, id])
  })

  it('recognises the caller\'s own id across a restart for 7 days, and then lets it run again', async () => {
    const dir = keptStateDir()
    const t = clock()
    const first = await gateway(dir, t.now)
    const send = (gw: TestGateway) => {
      // A fresh signature each time: only the body's `id` makes it the same request.
      const { payload, headers } = gw.signed({ text: 'run the report', id: 'report-2026-11-21' })
      return gw.app.inject({ method: 'POST', url: '/v1/hooks/ci?wait=10', payload, headers })
    }
    const original = (await send(first)).json().id as string
    await first.close()

    t.advance(7 * DAY - 60_000)
    const second = await gateway(dir, t.now)
    const replay = await send(second)
    expect(replay.headers['hookgate-replayed']).toBe('true')
    expect(replay.json().id).toBe(original)

    t.advance(120_000)
    const fresh = await send(second)
    expect(fresh.headers['hookgate-replayed']).toBeUndefined()
    expect(fresh.json().id).not.toBe(original)
    expect(await runCount(second)).toBe(2)
  })
})
