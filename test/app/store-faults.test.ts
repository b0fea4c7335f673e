// A database that cannot be written (here: locked by another connection, for real) turns new work
// into 503 with Retry-After and /readyz into 503, starts no agent, and heals by itself once released.
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ADMIN, testGateway } from '../helpers/build-app.ts'

describe('store faults', () => {
  it('answers 503 while the database is locked, spawns nothing, and recovers without a restart', async () => {
    const gw = await testGateway()
    const other = new DatabaseSync(join(gw.stateDir, 'hookgate.db'))
    onTestFinished(() => { if (other.isOpen) other.close() })
    other.exec('BEGIN EXCLUSIVE')

    const started = performance.now()
    const refused = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'list the files', id: 'x1' }) })
    expect(performance.now() - started).toBeLessThan(2000)
    expect(refused.statusCode).toBe(503)
    expect(refused.json()).toMatchObject({ statusCode: 503, code: 'HOOKGATE_OVERLOADED' })
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    const ready = await gw.app.inject({ url: '/readyz' })
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toEqual({ status: 'store unavailable' })
    expect(gw.audit().filter((e) => e.event === 'accepted' || e.event === 'started')).toEqual([])

    other.exec('ROLLBACK')
    other.close()
    expect((await gw.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' })
    // The same delivery id was not burnt by the refusal: it runs now.
    const accepted = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'list the files', id: 'x1' }) })
    expect(accepted.statusCode).toBe(200)
    expect(accepted.json()).toMatchObject({ status: 'succeeded' })
    const list = await gw.app.inject({ url: '/v1/runs', headers: { authorization: `Bearer ${ADMIN}` } })
    expect(list.json().runs).toHaveLength(1)
    expect(gw.audit().filter((e) => e.event === 'accepted')).toHaveLength(1)
  })

  it('serves runs from the database after they leave memory', async () => {
    const gw = await testGateway()
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'list the files' }) })
    const { id, token } = res.json() as { id: string, token: string }
    expect(gw.app.gateway.registry.active('ci')).toEqual([])
    const got = await gw.app.inject({ url: `/v1/runs/${id}`, headers: { authorization: `Bearer ${token}` } })
    expect(got.json()).toMatchObject({ id, status: 'succeeded' })
    expect((await gw.app.inject({ url: `/v1/runs/${id}`, headers: { authorization: 'Bearer hgr_wrong' } })).statusCode).toBe(401)
    const events = await gw.app.inject({ url: `/v1/runs/${id}/events?token=${token}` })
    const names = [...events.body.matchAll(/^event: (\w+)$/gm)].map((m) => m[1])
    expect(names[0]).toBe('run')
    expect(names.at(-1)).toBe('result')
    const ids = [...events.body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))
    expect(ids).toEqual(ids.map((_, i) => i + 1))
  })
})

describe('retention', () => {
  it('prunes runs finished more than `retention` days ago, and keeps younger ones', async () => {
    let now = Date.parse('2026-11-01T10:00:00Z')
    const gw = await testGateway({ now: () => now })
    const first = (await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'old run' }) })).json() as { id: string, status: string }
    expect(first.status).toBe('succeeded')
    now += 10 * 24 * 3600 * 1000
    const second = (await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'newer run' }) })).json() as { id: string }
    const admin = { authorization: `Bearer ${ADMIN}` }
    now += 5 * 24 * 3600 * 1000
    await gw.app.gateway.prune()
    expect((await gw.app.inject({ url: `/v1/runs/${first.id}`, headers: admin })).statusCode).toBe(404)
    expect((await gw.app.inject({ url: `/v1/runs/${second.id}`, headers: admin })).statusCode).toBe(200)
  })
})
