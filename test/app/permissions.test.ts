// The permission relay over the real gateway, the real event stream and the fake `claude` speaking
// the stdio control protocol: a tool neither allowed nor denied becomes a
// `permission` event; an answer by HTTP or by `/allow` `/deny` from the same user resumes the agent;
// no answer is a deny; the first answer wins; every decision is audited; a run asking too often is cut off.
import { describe, expect, it, onTestFinished } from 'vitest'
import { EventSource } from 'eventsource'
import { buildTestGateway, SECRET, type TestGateway, type TestGatewayOptions } from '../helpers/build-app.ts'
import type { Run } from '../../src/schemas/run.ts'

async function gateway (opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const gw = await buildTestGateway({ ...opts, env: { FAKE_CLAUDE_MODE: 'ask', ...opts.env } })
  onTestFinished(() => gw.close())
  return gw
}

interface Echo { decisions: Array<{ tool: string, behavior: string, message?: string }> }
interface Asked { pid: string, tool: string, summary: string, expires_at: string }

async function start (gw: TestGateway, text: string, user = 'ann'): Promise<{ id: string, token: string }> {
  const { payload, headers } = gw.signed({ text, user, thread: 'chat-1' })
  const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers: { ...headers, prefer: 'respond-async' } })
  expect(res.statusCode, res.body).toBe(202)
  return res.json() as { id: string, token: string }
}

/** Follows the run's real event stream until its first `permission` event. */
async function firstQuestion (gw: TestGateway, id: string, token: string): Promise<Asked> {
  const address = await listen(gw)
  const es = new EventSource(`${address}/v1/runs/${id}/events?token=${token}`)
  try {
    return await new Promise<Asked>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no permission event within 10 s')), 10_000)
      es.addEventListener('permission', (e) => { clearTimeout(timer); resolve(JSON.parse(e.data) as Asked) })
      es.addEventListener('result', () => { clearTimeout(timer); reject(new Error('run ended without asking')) })
    })
  } finally {
    es.close()
  }
}

async function listen (gw: TestGateway): Promise<string> {
  if (gw.app.server.listening) {
    const a = gw.app.server.address() as { port: number }
    return `http://127.0.0.1:${a.port}`
  }
  return gw.app.listen({ host: '127.0.0.1', port: 0 })
}

async function finished (gw: TestGateway, id: string): Promise<Run> {
  const run = await gw.app.gateway.registry.get(id)
  await gw.app.gateway.registry.waitFinished(run!, 20_000)
  return (await gw.app.gateway.registry.get(id))!.snapshot()
}

const answer = (gw: TestGateway, id: string, token: string, pid: string, body: unknown) =>
  gw.app.inject({ method: 'POST', url: `/v1/runs/${id}/permissions/${pid}`, payload: body as object, headers: { authorization: `Bearer ${token}` } })

const permissionAudit = (gw: TestGateway) => gw.audit().filter((e) => e.event === 'permission')

describe('permission relay over HTTP', () => {
  it('turns a tool neither allowed nor denied into a permission event; allow lets the tool run', async () => {
    const gw = await gateway()
    const { id, token } = await start(gw, 'push my branch')
    const asked = await firstQuestion(gw, id, token)
    expect(asked).toMatchObject({ pid: expect.stringMatching(/^[a-z2-9]{6}$/), tool: 'Bash', summary: 'git push origin main' })
    expect(Date.parse(asked.expires_at) - Date.now()).toBeGreaterThan(590_000)
    const res = await answer(gw, id, token, asked.pid.toUpperCase(), { decision: 'allow' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ pid: asked.pid, run: id, tool: 'Bash', decision: 'allow' })
    const run = await finished(gw, id)
    expect(run.status).toBe('succeeded')
    expect((JSON.parse(run.output) as Echo).decisions).toEqual([{ tool: 'Bash', behavior: 'allow' }])
    expect(permissionAudit(gw).map((e) => [e.decision, e.via ?? null, e.pid])).toEqual([['asked', null, asked.pid], ['allow', 'http', asked.pid]])
  })

  it('passes a deny and its message to the agent; a second answer gets 409, an unknown pid 404', async () => {
    const gw = await gateway()
    const { id, token } = await start(gw, 'push my branch')
    const asked = await firstQuestion(gw, id, token)
    expect((await answer(gw, id, token, 'zzzzzz', { decision: 'allow' })).statusCode).toBe(404)
    expect((await answer(gw, id, token, asked.pid, { decision: 'deny', message: 'not on Fridays' })).statusCode).toBe(200)
    const again = await answer(gw, id, token, asked.pid, { decision: 'allow' })
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({ code: 'HOOKGATE_CONFLICT', message: expect.stringMatching(/already denied/) })
    const run = await finished(gw, id)
    expect((JSON.parse(run.output) as Echo).decisions).toEqual([{ tool: 'Bash', behavior: 'deny', message: 'not on Fridays' }])
  })

  it('refuses answers without the run\'s token and malformed answers', async () => {
    const gw = await gateway()
    const { id, token } = await start(gw, 'push')
    const asked = await firstQuestion(gw, id, token)
    const other = await start(gw, 'another run', 'bob')
    expect((await answer(gw, id, other.token, asked.pid, { decision: 'allow' })).statusCode).toBe(401)
    expect((await answer(gw, id, token, asked.pid, { decision: 'maybe' })).statusCode).toBe(400)
    expect(gw.app.gateway.permissions.pending(asked.pid)).not.toBeNull()
  })

  it('denies when nobody answers before expires_at, and audits it as a timeout', async () => {
    const gw = await gateway({ extra: 'permissions: { timeout: 1 }' })
    const { id, token } = await start(gw, 'push')
    const asked = await firstQuestion(gw, id, token)
    const run = await finished(gw, id)
    expect(run.status).toBe('succeeded')
    expect((JSON.parse(run.output) as Echo).decisions).toEqual([{ tool: 'Bash', behavior: 'deny', message: 'No answer before the request expired.' }])
    expect(permissionAudit(gw).at(-1)).toMatchObject({ pid: asked.pid, decision: 'deny', via: 'timeout', run: id })
    expect((await answer(gw, id, token, asked.pid, { decision: 'allow' })).statusCode).toBe(409)
    expect(permissionAudit(gw).at(-1)).toMatchObject({ pid: asked.pid, decision: 'refused', reason: 'answer after the request expired' })
  })

  it('bounds an agent that asks a hundred times: past max_per_run it is denied without asking', async () => {
    const gw = await gateway({ env: { FAKE_CLAUDE_MODE: 'ask_many', FAKE_CLAUDE_ASKS: '100' }, extra: 'permissions: { timeout: 1, max_per_run: 2 }' })
    const { id } = await start(gw, 'touch many files')
    const run = await finished(gw, id)
    expect(run.status).toBe('succeeded')
    const decisions = (JSON.parse(run.output) as Echo).decisions
    expect(decisions).toHaveLength(100)
    expect(decisions.every((d) => d.behavior === 'deny')).toBe(true)
    const events = (await gw.app.gateway.registry.eventsAfter((await gw.app.gateway.registry.get(id))!, 0, 10_000)).events
    expect(events.filter((e) => e.event === 'permission')).toHaveLength(2)
    const audit = permissionAudit(gw)
    expect(audit.filter((e) => e.decision === 'asked')).toHaveLength(2)
    expect(audit.filter((e) => e.via === 'limit')).toHaveLength(98)
  })

  it('asks nothing for a tool the caller allows, and nothing for a caller with permissions: deny', async () => {
    const allowing = await gateway({ callers: `{ ci: { scheme: hmac-sha256, secrets: [${SECRET}], commands: [run], default_command: run, tools: { allow: ['Bash(git push:*)'] } } }` })
    const a = await start(allowing, 'push')
    const ranA = await finished(allowing, a.id)
    expect((JSON.parse(ranA.output) as Echo).decisions).toEqual([{ tool: 'Bash', behavior: 'allow' }])
    expect(permissionAudit(allowing)).toEqual([])

    const denying = await gateway({ callers: `{ ci: { scheme: hmac-sha256, secrets: [${SECRET}], commands: [run], default_command: run, permissions: deny } }` })
    const d = await start(denying, 'push')
    const ranD = await finished(denying, d.id)
    expect((JSON.parse(ranD.output) as Echo).decisions).toEqual([{ tool: 'Bash', behavior: 'deny', message: 'Bash is not allowed for this caller.' }])
    const events = (await denying.app.gateway.registry.eventsAfter((await denying.app.gateway.registry.get(d.id))!, 0, 1000)).events
    expect(events.some((e) => e.event === 'permission')).toBe(false)
    expect(permissionAudit(denying)).toMatchObject([{ decision: 'deny', via: 'policy' }])
  })
})

describe('permission relay from the caller\'s own messages (/allow, /deny)', () => {
  const command = async (gw: TestGateway, text: string, user: string) => {
    const { payload, headers } = gw.signed({ text, user, thread: 'chat-1' })
    return gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers })
  }

  it('takes /allow ID from the user who started the run, refuses it from anyone else, and audits both', async () => {
    const gw = await gateway()
    const { id, token } = await start(gw, 'push', 'ann')
    const asked = await firstQuestion(gw, id, token)
    const fromBob = await command(gw, `/allow ${asked.pid}`, 'bob')
    expect(fromBob.statusCode).toBe(403)
    expect(gw.app.gateway.permissions.pending(asked.pid)).not.toBeNull()
    const fromAnn = await command(gw, `/allow ${asked.pid.toUpperCase()}`, 'ann')
    expect(fromAnn.statusCode).toBe(200)
    expect(fromAnn.json()).toMatchObject({ kind: 'permission', message: `Allowed Bash (git push origin main) for ${id}.` })
    const run = await finished(gw, id)
    expect((JSON.parse(run.output) as Echo).decisions).toEqual([{ tool: 'Bash', behavior: 'allow' }])
    expect(permissionAudit(gw).map((e) => [e.decision, e.user])).toEqual([['asked', 'ann'], ['refused', 'bob'], ['allow', 'ann']])
    const late = await command(gw, `/deny ${asked.pid}`, 'ann')
    expect(late.statusCode).toBe(409)
    expect(permissionAudit(gw).at(-1)).toMatchObject({ decision: 'refused', user: 'ann', reason: 'answer after the request was decided' })
  })

  it('answers /deny ID with the agent refused, and a malformed or unknown id with 404', async () => {
    const gw = await gateway()
    const { id, token } = await start(gw, 'push', 'ann')
    const asked = await firstQuestion(gw, id, token)
    expect((await command(gw, '/deny ../../etc', 'ann')).statusCode).toBe(404)
    expect((await command(gw, '/deny abcdef', 'ann')).statusCode).toBe(404)
    expect((await command(gw, `/deny ${asked.pid}`, 'ann')).statusCode).toBe(200)
    const run = await finished(gw, id)
    expect((JSON.parse(run.output) as Echo).decisions[0]).toMatchObject({ tool: 'Bash', behavior: 'deny' })
  })
})
