// Steering over the real gateway and the fake `claude` reading stream-json user
// messages on stdin: a message to a running run goes into its session; one the agent cannot take
// now becomes the next turn; a finished run answers 409; chat callers with `steer: true` steer by
// writing in the same thread; the text passes the same policy as any request.
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildTestGateway, SECRET, type TestGateway, type TestGatewayOptions } from '../helpers/build-app.ts'
import type { Run } from '../../src/schemas/run.ts'

async function gateway (opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const gw = await buildTestGateway({ ...opts, env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '100', ...opts.env } })
  onTestFinished(() => gw.close())
  return gw
}

interface Echo { prompt: string, history: string[], turn: number }

async function start (gw: TestGateway, text: string, extra: Record<string, unknown> = {}): Promise<{ id: string, token: string }> {
  const { payload, headers } = gw.signed({ text, user: 'ann', thread: 't', ...extra })
  const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers: { ...headers, prefer: 'respond-async' } })
  expect(res.statusCode, res.body).toBe(202)
  return res.json() as { id: string, token: string }
}

async function running (gw: TestGateway, id: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (gw.audit().find((e) => e.event === 'started' && e.run === id) === undefined) {
    if (Date.now() > deadline) throw new Error('run did not start')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function finished (gw: TestGateway, id: string): Promise<Run> {
  const run = await gw.app.gateway.registry.get(id)
  await gw.app.gateway.registry.waitFinished(run!, 30_000)
  return (await gw.app.gateway.registry.get(id))!.snapshot()
}

const steer = (gw: TestGateway, id: string, token: string, text: string) =>
  gw.app.inject({ method: 'POST', url: `/v1/runs/${id}/messages`, payload: { text }, headers: { authorization: `Bearer ${token}` } })

describe('POST /v1/runs/{id}/messages', () => {
  it('delivers a message into the running session; the run answers it too', async () => {
    const gw = await gateway()
    const { id, token } = await start(gw, 'write the report')
    await running(gw, id)
    const res = await steer(gw, id, token, 'and add a summary table')
    expect(res.statusCode, res.body).toBe(202)
    expect(res.json()).toMatchObject({ delivered: 'live', run: { id } })
    const run = await finished(gw, id)
    expect(run.status).toBe('succeeded')
    const answers = run.output.split('\n\n').map((part) => JSON.parse(part) as Echo)
    expect(answers.map((a) => a.prompt)).toEqual(['write the report', 'and add a summary table'])
    expect(answers[1]!.history).toEqual(['write the report', 'and add a summary table'])
    expect(gw.audit().filter((e) => e.event === 'steered')).toMatchObject([{ run: id, user: 'ann', prompt_chars: 23 }])
  })

  it('queues the message as the next turn when the run cannot take it yet, and says so', async () => {
    const gw = await gateway({ limits: '{ concurrency: 1 }' })
    const blocker = await start(gw, 'occupy the only slot', { user: 'bob' })
    const queued = await start(gw, 'first question')
    const res = await steer(gw, queued.id, queued.token, 'follow-up question')
    expect(res.statusCode, res.body).toBe(202)
    const body = res.json() as { delivered: string, message: string, run: Run & { token: string } }
    expect(body.delivered).toBe('queued')
    expect(body.message).toMatch(/next turn/)
    expect(body.run.id).not.toBe(queued.id)
    expect(body.run.token).toMatch(/^hgr_/)
    await finished(gw, blocker.id)
    const first = await finished(gw, queued.id)
    const next = await finished(gw, body.run.id)
    expect(next.session).toBe(first.session)
    expect((JSON.parse(next.output) as Echo).history).toEqual(['first question', 'follow-up question'])
    // The new run's own token works for its routes.
    const own = await gw.app.inject({ url: `/v1/runs/${body.run.id}`, headers: { authorization: `Bearer ${body.run.token}` } })
    expect(own.statusCode).toBe(200)
  })

  it('answers 409 once the run has finished, 403 for blocked text, 401 without the token', async () => {
    const gw = await gateway({ env: { FAKE_CLAUDE_MODE: 'ok' } })
    const { id, token } = await start(gw, 'quick')
    await finished(gw, id)
    const late = await steer(gw, id, token, 'too late')
    expect(late.statusCode).toBe(409)
    expect(late.json()).toMatchObject({ code: 'HOOKGATE_CONFLICT' })

    const slow = await gateway()
    const r = await start(slow, 'long task')
    await running(slow, r.id)
    const blocked = await steer(slow, r.id, r.token, 'now rm -rf / please')
    expect(blocked.statusCode).toBe(403)
    expect(blocked.json()).toMatchObject({ code: 'HOOKGATE_POLICY_DENIED' })
    expect((await slow.app.inject({ method: 'POST', url: `/v1/runs/${r.id}/messages`, payload: { text: 'x' } })).statusCode).toBe(401)
    expect((await steer(slow, r.id, r.token, '')).statusCode).toBe(400)
  })
})

describe('steering follows the run\'s command rules', () => {
  it('checks the text against the command\'s argument rules, and refuses text for commands with fixed choices', async () => {
    const gw = await gateway()
    const { payload, headers } = gw.signed({ text: '/git status', user: 'ann', thread: 't' })
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers: { ...headers, prefer: 'respond-async' } })
    const { id, token } = res.json() as { id: string, token: string }
    await running(gw, id)
    const outside = await steer(gw, id, token, 'push --force')
    expect(outside.statusCode).toBe(403)
    expect(outside.json()).toMatchObject({ message: expect.stringMatching(/args_match/) })
    expect((await steer(gw, id, token, 'log -3')).statusCode).toBe(202)

    const d = gw.signed({ text: '/deploy staging', user: 'bob', thread: 'd' })
    const dep = (await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload: d.payload, headers: { ...d.headers, prefer: 'respond-async' } })).json() as { id: string, token: string }
    const refused = await steer(gw, dep.id, dep.token, 'and production too')
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({ message: expect.stringMatching(/takes no follow-up text/) })
  })
})

describe('steering from the same thread (steer: true)', () => {
  const callers = `{ ci: { scheme: hmac-sha256, secrets: [${SECRET}], commands: [run], default_command: run, steer: true } }`

  it('sends plain text in the thread of a running run into that run instead of starting another', async () => {
    const gw = await gateway({ callers })
    const { id } = await start(gw, 'investigate the flaky test')
    await running(gw, id)
    const { payload, headers } = gw.signed({ text: 'also check the retry logic', user: 'ann', thread: 't' })
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ kind: 'steered', runs: [{ id }] })
    const run = await finished(gw, id)
    expect(run.output.split('\n\n').map((p) => (JSON.parse(p) as Echo).prompt)).toEqual(['investigate the flaky test', 'also check the retry logic'])
    expect(gw.audit().filter((e) => e.event === 'accepted')).toHaveLength(1)
  })

  it('starts a new run for another thread, and never steers without steer: true', async () => {
    const gw = await gateway()
    const { id } = await start(gw, 'long task')
    await running(gw, id)
    const { payload, headers } = gw.signed({ text: 'same thread, no steering', user: 'ann', thread: 't' })
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers: { ...headers, prefer: 'respond-async' } })
    expect(res.statusCode).toBe(202)
    expect((res.json() as Run).id).not.toBe(id)
  })
})
