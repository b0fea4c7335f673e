// POST /v1/admin/runs: the admin token instead of a signature, and from there the webhook's own path:
// policy, the caller's rate limit (one budget with its webhooks), idempotency, built-ins, and an audit
// trail whose every record says it came from the console.
import { describe, expect, it } from 'vitest'
import { ADMIN, SECRET, testGateway, type TestGateway } from '../helpers/build-app.ts'

const admin = { authorization: `Bearer ${ADMIN}` }

const post = (gw: TestGateway, payload: Record<string, unknown>, headers: Record<string, string> = admin) =>
  gw.app.inject({ method: 'POST', url: '/v1/admin/runs', payload, headers })

async function finished (gw: TestGateway, id: string): Promise<void> {
  await gw.app.gateway.registry.waitFinished((await gw.app.gateway.registry.get(id))!, 15_000)
}

describe('POST /v1/admin/runs', () => {
  it('starts a run for the caller and answers 202 with the run and its token at once', async () => {
    const gw = await testGateway({ env: { FAKE_CLAUDE_MODE: 'slow' } })
    const res = await post(gw, { caller: 'ci', text: 'summarise the log', user: 'ann', thread: 'ops' })
    expect(res.statusCode, res.body).toBe(202)
    const run = res.json()
    expect(run).toMatchObject({ caller: 'ci', user: 'ann', thread: 'ops', command: 'run' })
    expect(['queued', 'running']).toContain(run.status)
    expect(run.token).toMatch(/^hgr_/)
    expect(res.headers.location).toBe(`/v1/runs/${run.id}`)
    // The token is the run's own: it reads and controls that run like a webhook's would.
    const own = await gw.app.inject({ method: 'GET', url: `/v1/runs/${run.id}`, headers: { authorization: `Bearer ${run.token}` } })
    expect(own.statusCode).toBe(200)
    await finished(gw, run.id)
    const done = (await gw.app.gateway.registry.get(run.id))!.snapshot()
    expect(done.status).toBe('succeeded')
    expect(JSON.parse(done.output).prompt).toBe('summarise the log')
  })

  it('audits the request and the run with the caller and via: console', async () => {
    const gw = await testGateway()
    const res = await post(gw, { caller: 'ci', text: 'hello', user: 'ann' })
    const { id } = res.json() as { id: string }
    await finished(gw, id)
    const trail = gw.audit().filter((e) => e.event !== 'config')
    expect(trail.map((e) => e.event)).toEqual(['request', 'accepted', 'started', 'finished'])
    expect(trail[0]).toMatchObject({ caller: 'ci', via: 'console', ip: '127.0.0.1' })
    expect(trail[1]).toMatchObject({ caller: 'ci', user: 'ann', run: id, via: 'console', command: 'run', prompt_chars: 5 })
    // A webhook's run carries no such mark.
    const { payload, headers } = gw.signed({ text: 'from the webhook' })
    const hook = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers })
    expect(gw.audit().find((e) => e.event === 'accepted' && e.run === hook.json().id)).not.toHaveProperty('via')
  })

  it('refuses without the admin token before reading the body, and audits the attempt', async () => {
    const gw = await testGateway()
    const { token } = (await post(gw, { caller: 'ci', text: 'first' })).json() as { token: string }
    const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${token}` }, { authorization: 'Bearer not-the-admin-token-at-all' }]
    for (const headers of attempts) {
      const res = await post(gw, { caller: 'ci', text: 'again', extra: 'a body the schema refuses' }, headers)
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({ code: 'HOOKGATE_UNAUTHORIZED' })
    }
    const refused = gw.audit().filter((e) => e.event === 'rejected')
    expect(refused).toHaveLength(3)
    expect(refused.every((e) => e.reason === 'admin_token' && e.via === 'console')).toBe(true)
    expect(gw.audit().filter((e) => e.event === 'accepted')).toHaveLength(1)
  })

  it('applies the caller\'s policy: blocked text, unknown commands and argument rules are 403 and audited', async () => {
    const gw = await testGateway()
    const cases: Array<[string, RegExp]> = [
      ['please rm -rf /', /policy\.block\[0\]/],
      ['/nope do it', /unknown command/],
      ['/git push --force', /commands\.git/]
    ]
    for (const [text, rule] of cases) {
      const res = await post(gw, { caller: 'ci', text })
      expect(res.statusCode, text).toBe(403)
      expect(res.json()).toMatchObject({ code: 'HOOKGATE_POLICY_DENIED', message: expect.stringMatching(rule) })
    }
    const refused = gw.audit().filter((e) => e.event === 'rejected')
    expect(refused).toHaveLength(3)
    expect(refused.every((e) => e.caller === 'ci' && e.via === 'console' && String(e.reason).startsWith('policy: '))).toBe(true)
    expect(gw.audit().some((e) => e.event === 'accepted')).toBe(false)
  })

  it('answers built-ins and confirmation requests like the webhook, without starting a run', async () => {
    const gw = await testGateway()
    const help = await post(gw, { caller: 'ci', text: '/help' })
    expect(help.statusCode).toBe(200)
    expect(help.json()).toMatchObject({ kind: 'help' })
    const confirm = await post(gw, { caller: 'ci', text: '/deploy production', user: 'ann' })
    expect(confirm.statusCode).toBe(200)
    const { code } = confirm.json().confirm as { code: string }
    const go = await post(gw, { caller: 'ci', text: `/confirm ${code}`, user: 'ann' })
    expect(go.statusCode).toBe(202)
    expect(go.json()).toMatchObject({ command: 'deploy', token: expect.stringMatching(/^hgr_/) })
  })

  it('counts against the caller\'s rate limit together with its webhooks', async () => {
    const gw = await testGateway({ callers: `{ ci: { scheme: hmac-sha256, secrets: [${SECRET}], commands: [run], default_command: run, rate_limit: { max: 2, window: 60 } } }` })
    const { payload, headers } = gw.signed({ text: 'one from the webhook' })
    expect((await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers: { ...headers, prefer: 'respond-async' } })).statusCode).toBe(202)
    expect((await post(gw, { caller: 'ci', text: 'one from the console' })).statusCode).toBe(202)
    const third = await post(gw, { caller: 'ci', text: 'one too many' })
    expect(third.statusCode).toBe(429)
    expect(third.headers['retry-after']).toBeDefined()
    expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected', reason: 'caller_rate_limited', via: 'console' })
  })

  it('never starts a second run for a repeated id', async () => {
    const gw = await testGateway()
    const first = await post(gw, { caller: 'ci', text: 'once', id: 'console-abc' })
    expect(first.statusCode).toBe(202)
    const again = await post(gw, { caller: 'ci', text: 'once', id: 'console-abc' })
    expect(again.statusCode).toBe(200)
    expect(again.headers['hookgate-replayed']).toBe('true')
    expect(again.json().id).toBe(first.json().id)
    expect(again.json()).not.toHaveProperty('token')
    expect(gw.audit().filter((e) => e.event === 'accepted')).toHaveLength(1)
  })

  it('answers an unknown caller with 404 and a malformed body with 400', async () => {
    const gw = await testGateway()
    for (const caller of ['nobody', 'constructor', '__proto__']) {
      const res = await post(gw, { caller, text: 'hi' })
      expect(res.statusCode, caller).toBe(404)
      expect(res.json()).toMatchObject({ code: 'HOOKGATE_NOT_FOUND' })
    }
    expect(gw.audit().filter((e) => e.reason === 'unknown_caller')).toHaveLength(3)
    expect((await post(gw, { caller: 'ci' })).statusCode).toBe(400)
    expect((await post(gw, { caller: 'ci', text: 'hi', admin: true })).statusCode).toBe(400)
  })
})
