// GitHub callers end to end: a real gateway on a real port, deliveries signed the way GitHub signs
// them (@octokit/webhooks-methods), the fake claude as the agent and a recording HTTP server as the
// caller's signed callback, verified with the official `standardwebhooks` package.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { sign as githubSign } from '@octokit/webhooks-methods'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { ADMIN } from '../../helpers/build-app.ts'
import { startFakeApi, type FakeApi, type RecordedRequest } from '../../helpers/fake-api.ts'
import { platformGateway, type PlatformGateway } from '../../helpers/platform-gateway.ts'
import { CALLBACK_SECRET, GITHUB_SECRET, githubRequest } from '../../helpers/platform-sign.ts'

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/platforms/github')
const SHA = '3484a3fb816e0859fd6e1cea078d76385ff50625'
const RUN_URL = 'https://github.com/octo-org/octo-repo/actions/runs/289782451'
const PROMPT = 'Investigate {repository} branch={branch} sha={sha} workflow={workflow} run={url}'
const RENDERED = `Investigate octo-org/octo-repo branch=main sha=${SHA} workflow=CI run=${RUN_URL}`
const HOOK = '/v1/hooks/gh'

function fixture (name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'))
}

/** The failed workflow_run fixture, its workflow_run patched (a new run id makes a new delivery). */
function failedRun (patch: Record<string, unknown> = {}): Record<string, any> {
  const payload = fixture('workflow_run.completed.failure.json')
  Object.assign(payload.workflow_run, patch)
  return payload
}

function callers (callbackUrl: string, users = '["*"]'): string {
  return `{ gh: { scheme: github, secrets: [${GITHUB_SECRET}], users: ${users}, prompt: "${PROMPT}", callback: { url: "${callbackUrl}/hook", secret: "${CALLBACK_SECRET}" } } }`
}

async function setup (opts: { users?: string, limits?: string, policy?: string, env?: NodeJS.ProcessEnv } = {}): Promise<{ gw: PlatformGateway, api: FakeApi }> {
  const api = await startFakeApi()
  const gw = await platformGateway({
    callers: callers(api.url, opts.users),
    ...(opts.limits !== undefined ? { limits: opts.limits } : {}),
    ...(opts.policy !== undefined ? { policy: opts.policy } : {}),
    ...(opts.env !== undefined ? { env: opts.env } : {})
  })
  return { gw, api }
}

async function deliver (gw: PlatformGateway, event: string, payload: unknown, headers: Record<string, string> = {}) {
  const req = await githubRequest(event, payload)
  return await gw.post(HOOK, req.body, { ...req.headers, ...headers })
}

function accepted (gw: PlatformGateway): Array<Record<string, unknown>> {
  return gw.audit().filter((r) => r.event === 'accepted' && r.caller === 'gh')
}

function verifyCallback (req: RecordedRequest): Record<string, any> {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v
  // Throws WebhookVerificationError on a bad signature, a stale timestamp or a missing header.
  return new Webhook(CALLBACK_SECRET).verify(req.body, headers) as Record<string, any>
}

/** Lets in-flight work land before checking that something did NOT happen. */
const settle = (ms = 600) => new Promise((resolve) => setTimeout(resolve, ms))

describe('github e2e: a failed workflow run', () => {
  it('answers 202 {"run"} fast, runs the rendered prompt, and posts the finished run to the signed callback without its token', async () => {
    const { gw, api } = await setup()
    const res = await deliver(gw, 'workflow_run', failedRun())
    expect(res.status).toBe(202)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const answer = JSON.parse(res.text) as { run: string }
    expect(Object.keys(answer)).toEqual(['run'])
    expect(answer.run).toMatch(/^run_/)
    expect(res.ms).toBeLessThan(1000)

    const [cb] = await api.waitFor(1, { match: '/hook' })
    const run = verifyCallback(cb!)
    expect(cb!.method).toBe('POST')
    expect(cb!.headers['content-type']).toMatch(/^application\/json/)
    expect(run.id).toBe(answer.run)
    expect(run.caller).toBe('gh')
    expect(run.user).toBe('octocat')
    expect(run.command).toBe('workflow_run')
    expect(run.status).toBe('succeeded')
    expect(run.thread).toBe('octo-org/octo-repo@main')
    expect(run).not.toHaveProperty('token')
    expect(cb!.body).not.toContain(GITHUB_SECRET)
    expect(cb!.body).not.toContain(CALLBACK_SECRET.slice('whsec_'.length))
    // The fake claude answers with the prompt it was given, as JSON.
    const echo = JSON.parse(run.output as string) as { prompt: string }
    expect(echo.prompt).toBe(RENDERED)

    // Exactly one callback, audited as delivered on the first attempt.
    await gw.waitForAudit((r) => r.event === 'delivery' && r.run === answer.run && r.status === 'delivered')
    await settle()
    expect(api.requests).toHaveLength(1)
    const deliveries = gw.audit().filter((r) => r.event === 'delivery' && r.run === answer.run)
    expect(deliveries.map((r) => [r.channel, r.status, r.attempts])).toEqual([['callback', 'delivered', 1]])
    expect(accepted(gw).map((r) => r.run)).toEqual([answer.run])
  })

  it('the webhook-id of the callback is a valid Standard Webhooks id and the body is exactly what GET /v1/runs/{id} shows, minus nothing but the token', async () => {
    const { gw, api } = await setup()
    const res = await deliver(gw, 'workflow_run', failedRun())
    const { run: id } = JSON.parse(res.text) as { run: string }
    const [cb] = await api.waitFor(1)
    const sent = verifyCallback(cb!)
    expect(String(cb!.headers['webhook-id'])).toMatch(/^[A-Za-z0-9_-]{1,256}$/)
    const got = await gw.app.inject({ method: 'GET', url: `/v1/runs/${id}`, headers: { authorization: `Bearer ${ADMIN}` } })
    expect(got.statusCode).toBe(200)
    const stored = got.json() as Record<string, unknown>
    delete stored.token
    expect(sent).toEqual(stored)
  })

  it('a sender listed in users by login is accepted; one who is not gets 403 HOOKGATE_FORBIDDEN_USER and nothing runs', async () => {
    const { gw, api } = await setup({ users: '[monalisa, octocat]' })
    const ok = await deliver(gw, 'workflow_run', failedRun())
    expect(ok.status).toBe(202)
    expect(JSON.parse(ok.text).run).toMatch(/^run_/)
    await api.waitFor(1)

    const stranger = failedRun({ id: 1 })
    stranger.sender = { ...stranger.sender, login: 'mallory' }
    const res = await deliver(gw, 'workflow_run', stranger)
    expect(res.status).toBe(403)
    expect(JSON.parse(res.text)).toMatchObject({ statusCode: 403, code: 'HOOKGATE_FORBIDDEN_USER' })
    const rejected = gw.audit().filter((r) => r.event === 'rejected' && r.reason === 'forbidden_user')
    expect(rejected).toHaveLength(1)
    expect(rejected[0]).toMatchObject({ caller: 'gh', user: 'mallory' })
    await settle()
    expect(accepted(gw)).toHaveLength(1)
    expect(api.requests).toHaveLength(1)
  })

  it('with users ["*"] any sender runs', async () => {
    const { gw, api } = await setup()
    const payload = failedRun()
    payload.sender = { ...payload.sender, login: 'dependabot[bot]' }
    const res = await deliver(gw, 'workflow_run', payload)
    expect(res.status).toBe(202)
    const [cb] = await api.waitFor(1)
    expect(verifyCallback(cb!).user).toBe('dependabot[bot]')
  })
})

describe('github e2e: the other shapes a failure arrives in', () => {
  it('a hook left on GitHub\'s default content type (form-encoded `payload=`) runs the same prompt, and its redelivery is a replay', async () => {
    const { gw, api } = await setup()
    const body = new URLSearchParams({ payload: JSON.stringify(failedRun()) }).toString()
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-github-event': 'workflow_run',
      'x-github-delivery': 'f0f0f0f0-cc78-11e3-81ab-4c9367dc0958',
      'x-hub-signature-256': await githubSign(GITHUB_SECRET, body)
    }
    const res = await gw.post(HOOK, body, headers)
    expect(res.status).toBe(202)
    const { run: id } = JSON.parse(res.text) as { run: string }
    const [cb] = await api.waitFor(1)
    const run = verifyCallback(cb!)
    expect(run.id).toBe(id)
    expect(JSON.parse(run.output as string).prompt).toBe(RENDERED)
    const again = await gw.post(HOOK, body, headers)
    expect(JSON.parse(again.text)).toEqual({ run: id, replayed: true })
    await settle()
    expect(accepted(gw)).toHaveLength(1)
  })

  it('a failed check_suite runs the prompt with the app name as workflow and the commit\'s checks page as url', async () => {
    const { gw, api } = await setup()
    const res = await deliver(gw, 'check_suite', fixture('check_suite.completed.failure.json'))
    expect(res.status).toBe(202)
    const [cb] = await api.waitFor(1)
    const run = verifyCallback(cb!)
    expect(run.command).toBe('check_suite')
    expect(JSON.parse(run.output as string).prompt).toBe(
      `Investigate octo-org/octo-repo branch=feature/cache sha=${SHA} workflow=GitHub Actions run=https://github.com/octo-org/octo-repo/commit/${SHA}/checks`
    )
  })

  it('the compact body a GitHub Actions step sends (docs/github-actions.md) runs the same prompt', async () => {
    const { gw, api } = await setup()
    const res = await deliver(gw, 'workflow_run', fixture('actions-compact.json'))
    expect(res.status).toBe(202)
    const [cb] = await api.waitFor(1)
    expect(JSON.parse(verifyCallback(cb!).output as string).prompt).toBe(RENDERED)
  })

  it('a caller without callback runs the failure and sends nothing anywhere', async () => {
    const api = await startFakeApi()
    const gw = await platformGateway({ callers: `{ gh: { scheme: github, secrets: [${GITHUB_SECRET}], users: ["*"], prompt: "${PROMPT}" } }` })
    const res = await deliver(gw, 'workflow_run', failedRun())
    expect(res.status).toBe(202)
    const { run: id } = JSON.parse(res.text) as { run: string }
    await gw.waitForAudit((r) => r.event === 'finished' && r.run === id)
    await settle()
    expect(gw.audit().filter((r) => r.event === 'delivery')).toEqual([])
    expect(api.requests).toEqual([])
  })
})

describe('github e2e: deliveries that start nothing', () => {
  it('ping → 200, push / workflow_run success / in_progress → 202 ignored; no run, no callback', async () => {
    const { gw, api } = await setup()
    const ping = await deliver(gw, 'ping', fixture('ping.json'))
    expect(ping.status).toBe(200)
    expect(JSON.parse(ping.text)).toEqual({ ok: true })

    const push = await deliver(gw, 'push', fixture('push.json'))
    expect(push.status).toBe(202)
    expect(JSON.parse(push.text)).toEqual({ ignored: 'push' })

    const success = await deliver(gw, 'workflow_run', fixture('workflow_run.completed.success.json'))
    expect(success.status).toBe(202)
    expect(JSON.parse(success.text)).toEqual({ ignored: 'workflow_run.completed' })

    const progress = await deliver(gw, 'workflow_run', fixture('workflow_run.in_progress.json'))
    expect(progress.status).toBe(202)
    expect(JSON.parse(progress.text)).toEqual({ ignored: 'workflow_run.in_progress' })

    await settle()
    expect(accepted(gw)).toEqual([])
    expect(gw.audit().filter((r) => r.event === 'started')).toEqual([])
    expect(api.requests).toEqual([])
    // Every one of them is on record, with why it was not run.
    const reasons = gw.audit().filter((r) => r.event === 'rejected' && r.caller === 'gh').map((r) => r.reason)
    expect(reasons).toEqual(['ignored: ping', 'ignored: event_ignored', 'ignored: event_ignored', 'ignored: event_ignored'])
  })

  it('a fork\'s failed workflow_run is ignored (202 with reason fork): its branch name was written by a stranger', async () => {
    const { gw, api } = await setup()
    const res = await deliver(gw, 'workflow_run', fixture('workflow_run.completed.fork.json'))
    expect(res.status).toBe(202)
    expect(JSON.parse(res.text)).toEqual({ ignored: 'workflow_run.completed', reason: 'fork' })
    await settle()
    expect(accepted(gw)).toEqual([])
    expect(api.requests).toEqual([])
    expect(gw.audit().some((r) => r.event === 'rejected' && r.reason === 'ignored: fork')).toBe(true)
  })

  it('the same delivery redelivered (same body, new X-GitHub-Delivery) → the same run, replayed, no second run or callback', async () => {
    const { gw, api } = await setup()
    const payload = failedRun()
    const first = await deliver(gw, 'workflow_run', payload, { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' })
    expect(first.status).toBe(202)
    const { run: id } = JSON.parse(first.text) as { run: string }
    await api.waitFor(1)
    await gw.waitForAudit((r) => r.event === 'delivery' && r.run === id && r.status === 'delivered')

    const again = await deliver(gw, 'workflow_run', payload, { 'x-github-delivery': '8a0c9f4e-cc78-11e3-81ab-4c9367dc0958' })
    expect(again.status).toBe(202)
    expect(JSON.parse(again.text)).toEqual({ run: id, replayed: true })
    // And while the first is still fresh in memory, a third time with the same GUID.
    const third = await deliver(gw, 'workflow_run', payload, { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' })
    expect(JSON.parse(third.text)).toEqual({ run: id, replayed: true })

    await settle()
    expect(accepted(gw).map((r) => r.run)).toEqual([id])
    expect(api.requests).toHaveLength(1)
    expect(gw.audit().filter((r) => r.event === 'rejected' && r.reason === 'replayed' && r.run === id)).toHaveLength(2)
  })

  it('a wrong signature → 401 HOOKGATE_UNAUTHORIZED and nothing runs', async () => {
    const { gw, api } = await setup()
    const req = await githubRequest('workflow_run', failedRun())
    const tampered = req.body.replace('"main"', '"mainx"')
    const res = await gw.post(HOOK, tampered, req.headers)
    expect(res.status).toBe(401)
    expect(JSON.parse(res.text)).toMatchObject({ statusCode: 401, code: 'HOOKGATE_UNAUTHORIZED' })
    const other = await gw.post(HOOK, req.body, { ...req.headers, 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) })
    expect(other.status).toBe(401)
    const none = await gw.post(HOOK, req.body, { 'content-type': 'application/json', 'x-github-event': 'workflow_run' })
    expect(none.status).toBe(401)
    await settle()
    expect(accepted(gw)).toEqual([])
    expect(api.requests).toEqual([])
  })

  it('a rendered prompt that hits policy.block is refused and audited; no run, no callback', async () => {
    // The template is harmless; the workflow name (chosen by whoever can push) is not.
    const { gw, api } = await setup({ policy: "{ block: ['drop\\s+table'] }" })
    const res = await deliver(gw, 'workflow_run', failedRun({ name: 'CI; DROP   TABLE users' }))
    expect(res.status).toBe(202)
    const body = JSON.parse(res.text) as Record<string, unknown>
    expect(body).not.toHaveProperty('run')
    // GitHub's delivery log tells the operator which rule refused it.
    expect(String(body.refused)).toContain('policy.block[0]')
    const rejected = gw.audit().filter((r) => r.event === 'rejected' && r.caller === 'gh' && String(r.reason).startsWith('policy'))
    expect(rejected).toHaveLength(1)
    expect(rejected[0]).toMatchObject({ user: 'octocat', reason: 'policy: policy.block[0]' })
    await settle()
    expect(accepted(gw)).toEqual([])
    expect(api.requests).toEqual([])

    // Positive control: the same gateway runs a failure whose names are harmless.
    const ok = await deliver(gw, 'workflow_run', failedRun({ id: 2 }))
    expect(JSON.parse(ok.text).run).toMatch(/^run_/)
    await api.waitFor(1)
  })

  it('a busy gateway (concurrency 1, queue 0, a hanging run) answers 503 with Retry-After, so the delivery can be redelivered', async () => {
    const { gw, api } = await setup({ limits: '{ concurrency: 1, queue: 0 }', env: { FAKE_CLAUDE_MODE: 'hang' } })
    const first = await deliver(gw, 'workflow_run', failedRun({ id: 101 }))
    expect(first.status).toBe(202)
    const { run: id } = JSON.parse(first.text) as { run: string }
    await gw.waitForAudit((r) => r.event === 'started' && r.run === id)

    const busy = await deliver(gw, 'workflow_run', failedRun({ id: 102 }))
    expect(busy.status).toBe(503)
    expect(JSON.parse(busy.text)).toMatchObject({ statusCode: 503, code: 'HOOKGATE_OVERLOADED' })
    expect(Number(busy.headers['retry-after'])).toBeGreaterThan(0)
    expect(gw.audit().filter((r) => r.event === 'rejected' && r.reason === 'overloaded')).toHaveLength(1)
    expect(accepted(gw).map((r) => r.run)).toEqual([id])

    // The refused delivery left no idempotency key behind: once the slot is free, the redelivery runs.
    const cancel = await gw.app.inject({ method: 'POST', url: `/v1/runs/${id}/cancel`, headers: { authorization: `Bearer ${ADMIN}` } })
    expect(cancel.statusCode).toBe(202)
    await gw.waitForAudit((r) => r.event === 'cancelled' && r.run === id)
    const retried = await deliver(gw, 'workflow_run', failedRun({ id: 102 }))
    expect(retried.status).toBe(202)
    expect(JSON.parse(retried.text)).not.toHaveProperty('replayed')
    // The cancelled run's callback went out too.
    const [cb] = await api.waitFor(1)
    expect(verifyCallback(cb!)).toMatchObject({ id, status: 'cancelled' })
  })
})
