// Agent sessions over the real gateway and the fake `claude`: the same caller, user and
// thread continue one session; /new, idle and max_age start a fresh one; a session the CLI lost is
// replaced and the answer says so; two runs of one conversation never overlap; a restart continues.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/build-app.ts'
import type { Run } from '../../src/schemas/run.ts'

async function gateway (opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const gw = await buildTestGateway(opts)
  onTestFinished(() => gw.close())
  return gw
}

interface Echo { prompt: string, session: string, history: string[], config_dir: string | null, setting_sources: string | null, strict_mcp: boolean }

async function send (gw: TestGateway, body: Record<string, unknown>, wait = 15): Promise<Run> {
  const { payload, headers } = gw.signed(body)
  const res = await gw.app.inject({ method: 'POST', url: `/v1/hooks/ci?wait=${wait}`, payload, headers })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as Run
}

async function sendAsync (gw: TestGateway, body: Record<string, unknown>): Promise<Run> {
  const { payload, headers } = gw.signed(body)
  const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers: { ...headers, prefer: 'respond-async' } })
  expect(res.statusCode, res.body).toBe(202)
  return res.json() as Run
}

const echo = (run: Run): Echo => JSON.parse(run.output) as Echo

async function finished (gw: TestGateway, id: string): Promise<Run> {
  const run = await gw.app.gateway.registry.get(id)
  await gw.app.gateway.registry.waitFinished(run!, 20_000)
  return (await gw.app.gateway.registry.get(id))!.snapshot()
}

describe('sessions', () => {
  it('continues one agent session for the same user and thread, and keeps others apart', async () => {
    const gw = await gateway()
    const first = await send(gw, { text: 'my name is Ann', user: 'ann', thread: 't1' })
    const second = await send(gw, { text: 'what is my name?', user: 'ann', thread: 't1' })
    const otherThread = await send(gw, { text: 'hello', user: 'ann', thread: 't2' })
    const otherUser = await send(gw, { text: 'hello', user: 'bob', thread: 't1' })
    expect(first.status).toBe('succeeded')
    expect(second.session).toBe(first.session)
    expect(echo(second).history).toEqual(['my name is Ann', 'what is my name?'])
    expect(JSON.parse(second.output).argv).toEqual(expect.arrayContaining(['--resume', first.session]))
    expect(JSON.parse(first.output).argv).toEqual(expect.arrayContaining(['--session-id', first.session]))
    expect(new Set([first.session, otherThread.session, otherUser.session]).size).toBe(3)
    expect(echo(otherThread).history).toEqual(['hello'])
  })

  it('runs a request with neither user nor thread as a one-shot session', async () => {
    const gw = await gateway()
    const a = await send(gw, { text: 'one' })
    const b = await send(gw, { text: 'two' })
    expect(a.session).not.toBe(b.session)
    expect(echo(b).history).toEqual(['two'])
    expect(JSON.parse(b.output).argv).not.toContain('--resume')
  })

  it('starts a fresh session after /new, and says so', async () => {
    const gw = await gateway()
    const first = await send(gw, { text: 'remember 42', user: 'ann', thread: 't' })
    const { payload, headers } = gw.signed({ text: '/new', user: 'ann', thread: 't' })
    const reset = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers })
    expect(reset.statusCode).toBe(200)
    expect(reset.json()).toMatchObject({ kind: 'new', message: expect.stringMatching(/fresh conversation/) })
    const next = await send(gw, { text: 'what number?', user: 'ann', thread: 't' })
    expect(next.session).not.toBe(first.session)
    expect(echo(next).history).toEqual(['what number?'])
  })

  it('keeps /new sent while a run of the conversation works: the next message still starts fresh', async () => {
    const gw = await gateway({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '50' } })
    const working = await sendAsync(gw, { text: 'long task', user: 'ann', thread: 't' })
    const { payload, headers } = gw.signed({ text: '/new', user: 'ann', thread: 't' })
    expect((await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers })).statusCode).toBe(200)
    const done = await finished(gw, working.id)
    const next = await send(gw, { text: 'new topic', user: 'ann', thread: 't' })
    expect(next.session).not.toBe(done.session)
    expect(echo(next).history).toEqual(['new topic'])
  })

  it('expires a session after sessions.idle and after sessions.max_age', async () => {
    let clock = Date.parse('2026-11-21T10:00:00Z')
    const gw = await gateway({ now: () => clock, extra: 'sessions: { idle: 60, max_age: 300 }' })
    const a = await send(gw, { text: 'a', user: 'ann', thread: 't' })
    clock += 59_000
    const b = await send(gw, { text: 'b', user: 'ann', thread: 't' })
    expect(b.session).toBe(a.session)
    clock += 61_000
    const c = await send(gw, { text: 'c', user: 'ann', thread: 't' })
    expect(c.session).not.toBe(a.session)
    // Kept busy (never idle for a minute) until it is older than max_age.
    for (let i = 0; i < 5; i++) {
      clock += 55_000
      const turn = await send(gw, { text: `turn ${i}`, user: 'ann', thread: 't' })
      expect(turn.session).toBe(c.session)
    }
    clock += 55_000
    const d = await send(gw, { text: 'd', user: 'ann', thread: 't' })
    expect(d.session).not.toBe(c.session)
  })

  it('starts a fresh session when the agent no longer has the stored one, and the answer says so', async () => {
    const gw = await gateway()
    const first = await send(gw, { text: 'a', user: 'ann', thread: 't' })
    // The agent's own transcripts (per caller, under the state directory) are gone.
    const dir = join(gw.stateDir, 'agents', 'claude', 'ci')
    expect(existsSync(dir)).toBe(true)
    rmSync(join(dir, 'projects'), { recursive: true, force: true })
    const second = await send(gw, { text: 'b', user: 'ann', thread: 't' })
    expect(second.status).toBe('succeeded')
    expect(second.session).not.toBe(first.session)
    expect(second.notice).toMatch(/no longer exists.*fresh/)
    expect(echo(second).history).toEqual(['b'])
    const third = await send(gw, { text: 'c', user: 'ann', thread: 't' })
    expect(third.session).toBe(second.session)
  })

  it('never runs two runs of one conversation at once: the second waits, then continues the session', async () => {
    const gw = await gateway({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '60' }, limits: '{ concurrency: 4 }' })
    const one = await sendAsync(gw, { text: 'first', user: 'ann', thread: 't' })
    const two = await sendAsync(gw, { text: 'second', user: 'ann', thread: 't' })
    const other = await sendAsync(gw, { text: 'elsewhere', user: 'bob', thread: 't' })
    const [r1, r2, r3] = await Promise.all([finished(gw, one.id), finished(gw, two.id), finished(gw, other.id)])
    expect([r1.status, r2.status, r3.status]).toEqual(['succeeded', 'succeeded', 'succeeded'])
    expect(Date.parse(r2.started_at!)).toBeGreaterThanOrEqual(Date.parse(r1.finished_at!))
    // Another conversation is not held up behind it.
    expect(Date.parse(r3.started_at!)).toBeLessThan(Date.parse(r1.finished_at!))
    expect(r2.session).toBe(r1.session)
    expect(echo(r2).history).toEqual(['first', 'second'])
  })

  it('continues the same conversation after a restart of the gateway', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'hookgate-sessions-'))
    onTestFinished(() => rmSync(stateDir, { recursive: true, force: true }))
    const first = await buildTestGateway({ stateDir })
    const a = await send(first, { text: 'before restart', user: 'ann', thread: 't' })
    await first.close()
    const second = await gateway({ stateDir })
    const b = await send(second, { text: 'after restart', user: 'ann', thread: 't' })
    expect(b.session).toBe(a.session)
    expect(echo(b).history).toEqual(['before restart', 'after restart'])
  })

  it('gives each caller its own agent state directory, and keeps repository settings out', async () => {
    const gw = await gateway()
    const run = await send(gw, { text: 'x', user: 'ann' })
    const e = echo(run)
    expect(e.config_dir).toBe(join(gw.stateDir, 'agents', 'claude', 'ci'))
    expect(e.setting_sources).toBe('user')
    expect(e.strict_mcp).toBe(true)
    expect(readdirSync(join(gw.stateDir, 'agents', 'claude'))).toEqual(['ci'])
  })

  it('sessions: false makes every run of a caller one-shot', async () => {
    const gw = await gateway({ callers: '{ ci: { scheme: hmac-sha256, secrets: [test-secret-0123456789abcdef0123], commands: [run], default_command: run, sessions: false } }' })
    const a = await send(gw, { text: 'a', user: 'ann', thread: 't' })
    const b = await send(gw, { text: 'b', user: 'ann', thread: 't' })
    expect(b.session).not.toBe(a.session)
    expect(echo(b).history).toEqual(['b'])
  })
})
