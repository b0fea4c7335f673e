// /v1/runs over the app: who may read a run, cancelling stops the agent's whole
// process group, the admin-only list and its filters, and tokens shown once and never again.
import { describe, expect, it, onTestFinished } from 'vitest'
import { ADMIN, SECRET, buildTestGateway, type TestGateway } from '../helpers/build-app.ts'
import { REDACTED } from '../../src/secrets/secret-scrubber.ts'
import { knownJsonOf } from '../../src/runs/event-json.ts'
import { signHmacSha256 } from '../helpers/sign.ts'

async function gateway (opts?: Parameters<typeof buildTestGateway>[0]): Promise<TestGateway> {
  const gw = await buildTestGateway(opts)
  onTestFinished(() => gw.close())
  return gw
}

async function waitFor (what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const OPS_SECRET = 'ops-secret-0123456789abcdef012345'
const callerYaml = (secret: string) => `{ scheme: hmac-sha256, secrets: [${secret}], commands: [run], default_command: run }`

/** Starts a run without waiting for it; answers its id and its token (shown only here). */
async function startRun (gw: TestGateway, text = 'hello', caller = 'ci'): Promise<{ id: string, token: string }> {
  const { payload, headers } = gw.signed({ text })
  if (caller === 'ops') headers['x-webhook-signature'] = signHmacSha256(OPS_SECRET, payload, headers['x-webhook-timestamp'])
  const res = await gw.app.inject({ method: 'POST', url: `/v1/hooks/${caller}`, payload, headers: { ...headers, prefer: 'respond-async' } })
  expect(res.statusCode).toBe(202)
  const { id, token } = res.json() as { id: string, token: string }
  expect(token).toMatch(/^hgr_/)
  return { id, token }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

function groupAlive (pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw err
  }
}

async function agentPid (gw: TestGateway, id: string): Promise<number> {
  const started = () => gw.audit().find((e) => e.event === 'started' && e.run === id)
  await waitFor('the agent to start', () => started() !== undefined)
  return started()!.pid as number
}

describe('GET /v1/runs/{id}', () => {
  it('answers the run to its own token and to the admin token, without the token', async () => {
    const gw = await gateway()
    const { id, token } = await startRun(gw)
    await gw.app.gateway.registry.waitFinished((await gw.app.gateway.registry.get(id))!, 10_000)
    const own = await gw.app.inject({ url: `/v1/runs/${id}`, headers: bearer(token) })
    expect(own.statusCode).toBe(200)
    expect(own.json()).toMatchObject({ id, caller: 'ci', command: 'run', status: 'succeeded', exit_code: 0, links: { self: `/v1/runs/${id}` } })
    expect(own.json()).not.toHaveProperty('token')
    expect(own.body).not.toContain(token)
    const admin = await gw.app.inject({ url: `/v1/runs/${id}`, headers: bearer(ADMIN) })
    expect(admin.statusCode).toBe(200)
    expect(admin.json()).toEqual(own.json())
    // The auth scheme is case-insensitive (RFC 9110); the token is not.
    expect((await gw.app.inject({ url: `/v1/runs/${id}`, headers: { authorization: `bearer ${token}` } })).statusCode).toBe(200)
  })

  it('answers 401 to no token, a wrong token, another run\'s token, or a token in the query', async () => {
    const gw = await gateway({ env: { FAKE_CLAUDE_MODE: 'hang' } })
    const { id, token } = await startRun(gw, 'one')
    const other = await startRun(gw, 'two')
    for (const [why, headers, query] of [
      ['no token', {}, ''],
      ['wrong token', bearer('hgr_wrong'), ''],
      ['other run', bearer(other.token), ''],
      ['token in query', {}, `?token=${token}`],
      ['token upper-cased', bearer(token.toUpperCase()), ''],
      ['not a bearer scheme', { authorization: `Basic ${token}` }, ''],
      ['empty bearer', { authorization: 'Bearer ' }, '']
    ] as const) {
      const res = await gw.app.inject({ url: `/v1/runs/${id}${query}`, headers })
      expect(res.statusCode, why).toBe(401)
      expect(res.json(), why).toEqual({ statusCode: 401, code: 'HOOKGATE_UNAUTHORIZED', error: 'Unauthorized', message: 'Unauthorized' })
    }
  })

  it('answers an unknown run 404 to the admin, and 401 (not 404) to anyone else', async () => {
    const gw = await gateway()
    const { token } = await startRun(gw)
    const missing = 'run_0000000000zzzzzzzzzzzzzz'
    const admin = await gw.app.inject({ url: `/v1/runs/${missing}`, headers: bearer(ADMIN) })
    expect(admin.statusCode).toBe(404)
    expect(admin.json().code).toBe('HOOKGATE_NOT_FOUND')
    for (const headers of [bearer(token), {}]) {
      const res = await gw.app.inject({ url: `/v1/runs/${missing}`, headers })
      expect(res.statusCode).toBe(401)
      expect(res.json().code).toBe('HOOKGATE_UNAUTHORIZED')
    }
  })
})

describe('POST /v1/runs/{id}/cancel', () => {
  it('stops the agent\'s whole process group; the run ends cancelled; a second cancel is 409', async () => {
    const gw = await gateway({ env: { FAKE_CLAUDE_MODE: 'hang' } })
    const { id, token } = await startRun(gw)
    const pid = await agentPid(gw, id)
    expect(groupAlive(pid)).toBe(true)

    const res = await gw.app.inject({ method: 'POST', url: `/v1/runs/${id}/cancel`, headers: bearer(token) })
    expect(res.statusCode).toBe(202)
    expect(res.json()).toMatchObject({ id })
    expect(res.json()).not.toHaveProperty('token')

    const run = (await gw.app.gateway.registry.get(id))!
    await gw.app.gateway.registry.waitFinished(run, 10_000)
    expect(groupAlive(pid)).toBe(false)
    const after = await gw.app.inject({ url: `/v1/runs/${id}`, headers: bearer(token) })
    expect(after.json()).toMatchObject({ status: 'cancelled', error: expect.any(String), finished_at: expect.any(String) })
    const last = run.log.since(run.log.lastSeq - 1).events
    expect(last.map((e) => [e.event, (e.data as { status?: string }).status])).toEqual([['result', 'cancelled']])
    expect(gw.audit().filter((e) => e.run === id).map((e) => e.event)).toEqual(['accepted', 'started', 'cancelled'])

    const again = await gw.app.inject({ method: 'POST', url: `/v1/runs/${id}/cancel`, headers: bearer(token) })
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({ statusCode: 409, code: 'HOOKGATE_CONFLICT' })
  })

  it('cancels a queued run before it starts, and refuses anyone without its token or the admin\'s', async () => {
    const gw = await gateway({ env: { FAKE_CLAUDE_MODE: 'hang' }, limits: '{ concurrency: 1 }' })
    const running = await startRun(gw, 'first')
    const queued = await startRun(gw, 'second')
    expect((await gw.app.gateway.registry.get(queued.id))!.status).toBe('queued')

    for (const headers of [{}, bearer(running.token), bearer('hgr_nope')]) {
      const res = await gw.app.inject({ method: 'POST', url: `/v1/runs/${queued.id}/cancel`, headers })
      expect(res.statusCode).toBe(401)
    }
    expect((await gw.app.gateway.registry.get(queued.id))!.status).toBe('queued')

    const res = await gw.app.inject({ method: 'POST', url: `/v1/runs/${queued.id}/cancel`, headers: bearer(ADMIN) })
    expect(res.statusCode).toBe(202)
    expect(res.json()).toMatchObject({ id: queued.id, status: 'cancelled', started_at: null })
    expect(gw.audit().some((e) => e.event === 'started' && e.run === queued.id)).toBe(false)
    expect((await gw.app.gateway.registry.get(running.id))!.status).toBe('running')
    const missing = await gw.app.inject({ method: 'POST', url: '/v1/runs/run_0000000000zzzzzzzzzzzzzz/cancel', headers: bearer(ADMIN) })
    expect(missing.statusCode).toBe(404)
  })
})

describe('GET /v1/runs', () => {
  const TWO_CALLERS = `{ ci: ${callerYaml(SECRET)}, ops: ${callerYaml(OPS_SECRET)} }`

  it('lists runs newest first for the admin only, filtered by caller, status, limit and before', async () => {
    // A frozen clock gives every run the same time prefix: the order must not depend on ids.
    const now = Date.now()
    const gw = await gateway({ env: { FAKE_CLAUDE_MODE: 'hang' }, limits: '{ concurrency: 2, queue: 16 }', callers: TWO_CALLERS, now: () => now })
    const created = []
    for (const [i, caller] of ['ci', 'ops', 'ci', 'ops', 'ci', 'ci'].entries()) created.push({ caller, ...(await startRun(gw, `run ${i}`, caller)) })
    const newestFirst = created.map((r) => r.id).reverse()
    const cancelled = created[3]!
    expect((await gw.app.inject({ method: 'POST', url: `/v1/runs/${cancelled.id}/cancel`, headers: bearer(ADMIN) })).statusCode).toBe(202)

    const list = async (query = '', headers: Record<string, string> = bearer(ADMIN)) => {
      const res = await gw.app.inject({ url: `/v1/runs${query}`, headers })
      return { status: res.statusCode, body: res.body, ids: res.statusCode === 200 ? (res.json().runs as Array<{ id: string }>).map((r) => r.id) : [] }
    }
    expect((await list()).ids).toEqual(newestFirst)
    expect((await list('?caller=ops')).ids).toEqual([created[3]!.id, created[1]!.id])
    expect((await list('?caller=nobody')).ids).toEqual([])
    expect((await list('?status=cancelled')).ids).toEqual([cancelled.id])
    expect((await list('?status=running')).ids).toEqual([created[1]!.id, created[0]!.id])
    expect((await list('?status=queued')).ids).toEqual([created[5]!.id, created[4]!.id, created[2]!.id])
    expect((await list('?caller=ci&status=queued&limit=2')).ids).toEqual([created[5]!.id, created[4]!.id])

    // Paging with limit and before walks every run once, in order.
    const pages: string[] = []
    let before = ''
    for (;;) {
      const page = await list(`?limit=4${before}`)
      pages.push(...page.ids)
      if (page.ids.length < 4) break
      before = `&before=${page.ids.at(-1)!}`
    }
    expect(pages).toEqual(newestFirst)
    expect((await list(`?before=${created[2]!.id}`)).ids).toEqual([created[1]!.id, created[0]!.id])

    // Tokens are never listed.
    const all = await list()
    for (const { token } of created) expect(all.body).not.toContain(token)
    expect(all.body).not.toContain('"token"')

    // Admin only: run tokens, no token and ?token= are all refused.
    for (const [query, headers] of [['', {}], ['', bearer(created[0]!.token)], [`?token=${ADMIN}`, {}]] as const) {
      const res = await list(query, headers)
      expect(res.status).toBe(401)
      expect(JSON.parse(res.body).code).toBe('HOOKGATE_UNAUTHORIZED')
    }
    for (const query of ['?status=bogus', '?limit=0', '?limit=501', '?limit=ten']) {
      const res = await list(query)
      expect(res.status, query).toBe(400)
      expect(JSON.parse(res.body).code, query).toBe('HOOKGATE_BAD_REQUEST')
    }
  })
})

describe('run tokens', () => {
  it('are shown once, when the run is created, and never in later answers or events', async () => {
    const gw = await gateway()
    const { payload, headers } = gw.signed({ text: 'hello', id: 'once' })
    const created = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers })
    expect(created.statusCode).toBe(200)
    const { id, token } = created.json() as { id: string, token: string }
    expect(token).toMatch(/^hgr_/)

    const later = [
      await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers }),
      await gw.app.inject({ url: `/v1/runs/${id}`, headers: bearer(token) }),
      await gw.app.inject({ url: '/v1/runs', headers: bearer(ADMIN) }),
      await gw.app.inject({ url: `/v1/runs/${id}/events`, headers: bearer(token) }),
      await gw.app.inject({ url: `/v1/runs/${id}/events?token=${token}` })
    ]
    expect(later[0]!.headers['hookgate-replayed']).toBe('true')
    expect(later[0]!.json().id).toBe(id)
    expect(later[3]!.body).toMatch(/^id: 1\nevent: run\n/)
    expect(later[3]!.body).toMatch(/event: result\ndata: [^\n]+\n\n$/)
    for (const res of later) {
      expect(res.statusCode).toBe(200)
      expect(res.body).not.toContain(token)
      expect(res.body).not.toContain('"token"')
    }
  })
})

describe('a run with a long answer', () => {
  it('is answered by GET exactly as its result event and stored row have it: the whole answer, scrubbed', async () => {
    // 6,000 lines of 100 bytes; one line ends with the caller's secret where the scrubber's first
    // step of 256 Ki characters ends, another holds characters outside the BMP.
    const script = `const out = []; for (let i = 0; i < 6000; i++) out.push(i === 2647 ? 'z'.repeat(81) + ${JSON.stringify(SECRET)} : i === 3000 ? '\u{1F511}'.repeat(49) : 'y'.repeat(99)); process.stdout.write(out.join('\\n') + '\\n')`
    const gw = await gateway({ agent: `{ profile: command, argv: [${process.execPath}, -e, ${JSON.stringify(script)}], timeout: 20 }` })
    const { id, token } = await startRun(gw, 'long')
    await gw.app.gateway.registry.waitFinished((await gw.app.gateway.registry.get(id))!, 15_000)

    const res = await gw.app.inject({ url: `/v1/runs/${id}`, headers: bearer(token) })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    const run = res.json() as { status: string, output: string, truncated: boolean }
    expect(run.status).toBe('succeeded')
    expect(run.output).not.toContain(SECRET)
    const lines = run.output.split('\n')
    expect(lines.length).toBe(6001)
    expect(lines[2647]).toBe('z'.repeat(81) + REDACTED)
    expect(lines[3000]).toBe('\u{1F511}'.repeat(49))
    expect(lines.filter((l) => l === 'y'.repeat(99)).length).toBe(5998)

    // The same text as the stored row; the same run as the result event.
    const stored = await gw.store.getRun(id)
    expect(res.body === JSON.stringify(stored!.run)).toBe(true)
    expect(knownJsonOf(stored!.run) === res.body).toBe(true)
    const events = await gw.app.inject({ url: `/v1/runs/${id}/events`, headers: bearer(token) })
    const result = /event: result\ndata: ([^\n]+)\n\n$/.exec(events.body)
    expect(JSON.parse(result![1]!)).toEqual(run)
  })
})
