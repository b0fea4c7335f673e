// GET /v1/runs/live over a real socket: admin only, the current list first, then each run's changes
// as they happen (filtered like the list), a `shutdown` event and a prompt end when the gateway stops.
import { describe, expect, it, onTestFinished } from 'vitest'
import { ADMIN, buildTestGateway, SECRET, testGateway, type TestGateway } from '../helpers/build-app.ts'
import { followEvents, waitFor, type SseFrame } from '../helpers/gateway-process.ts'

async function listen (gw: TestGateway): Promise<string> {
  return gw.app.listen({ host: '127.0.0.1', port: 0 })
}

async function start (gw: TestGateway, text: string, caller = 'ci'): Promise<{ id: string, token: string }> {
  const res = await gw.app.inject({ method: 'POST', url: '/v1/admin/runs', payload: { caller, text }, headers: { authorization: `Bearer ${ADMIN}` } })
  expect(res.statusCode, res.body).toBe(202)
  return res.json() as { id: string, token: string }
}

const TWO_CALLERS = `{ ci: { scheme: hmac-sha256, secrets: [${SECRET}], commands: [run], default_command: run }, ops: { scheme: hmac-sha256, secrets: [ops-secret-0123456789abcdef0123], commands: [run], default_command: run } }`

const statusesOf = (frames: SseFrame[], id: string): string[] =>
  frames.filter((f) => f.event === 'run' && f.data.id === id).map((f) => f.data.status as string)

describe('GET /v1/runs/live', () => {
  it('refuses anyone but the admin: no token, a wrong one, a run\'s own token, in the header or the query', async () => {
    const gw = await testGateway()
    const { token } = await start(gw, 'hello')
    for (const request of [
      { url: '/v1/runs/live' },
      { url: '/v1/runs/live?token=wrong-token-0123456789' },
      { url: `/v1/runs/live?token=${token}` },
      { url: '/v1/runs/live', headers: { authorization: `Bearer ${token}` } },
      { url: '/v1/runs/live', headers: { authorization: 'Bearer admin-token-0123456789abcdeX' } }
    ]) {
      const res = await gw.app.inject({ method: 'GET', ...request })
      expect(res.statusCode, request.url).toBe(401)
      expect(res.json()).toMatchObject({ code: 'HOOKGATE_UNAUTHORIZED' })
    }
    const bad = await gw.app.inject({ method: 'GET', url: '/v1/runs/live?status=done', headers: { authorization: `Bearer ${ADMIN}` } })
    expect(bad.statusCode).toBe(400)
  })

  it('sends the current list, then every run created or changed, until the client leaves', async () => {
    const gw = await testGateway({ callers: TWO_CALLERS, env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '100' } })
    const before = await start(gw, 'an earlier run')
    await gw.app.gateway.registry.waitFinished((await gw.app.gateway.registry.get(before.id))!, 15_000)
    const base = await listen(gw)
    const live = followEvents(`${base}/v1/runs/live?token=${encodeURIComponent(ADMIN)}`)
    onTestFinished(() => live.abort())
    expect(await live.opened).toBe(200)
    const first = await waitFor(() => live.frames[0], 5000)
    expect(first.event).toBe('runs')
    expect(first.data.callers).toEqual(['ci', 'ops'])
    expect(first.data.runs.map((r: { id: string }) => r.id)).toEqual([before.id])

    const created = await start(gw, 'a new run')
    const final = await waitFor(() => statusesOf(live.frames, created.id).find((s) => s === 'succeeded'), 15_000)
    expect(final).toBe('succeeded')
    const seen = statusesOf(live.frames, created.id)
    // Polled once a second: a short stage may pass between two polls, but what is seen is in order.
    expect(seen.filter((s, i) => s !== seen[i - 1])).toEqual(seen)
    expect(['queued', 'running']).toContain(seen[0])
    const order = ['queued', 'running', 'succeeded']
    expect(seen.map((s) => order.indexOf(s))).toEqual([...seen.map((s) => order.indexOf(s))].sort())
    // Only what changed: the earlier run, unchanged, is never sent again.
    expect(live.frames.filter((f) => f.event === 'run' && f.data.id === before.id)).toEqual([])
    // Ids keep increasing from the first list on.
    const ids = live.frames.map((f) => f.id!)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    expect(new Set(ids.slice(1)).size).toBe(ids.length - 1)
    live.abort()
    await waitFor(() => gw.app.gateway.streams.size === 0 ? true : undefined, 5000)
  })

  it('applies caller and status filters to the list and to the changes, and names a run that leaves the status', async () => {
    const gw = await testGateway({ callers: TWO_CALLERS, env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '150' } })
    const base = await listen(gw)
    const headers = { authorization: `Bearer ${ADMIN}` }
    const byCaller = followEvents(`${base}/v1/runs/live?caller=ops`, { headers })
    const running = followEvents(`${base}/v1/runs/live?status=running`, { headers })
    onTestFinished(() => { byCaller.abort(); running.abort() })
    await waitFor(() => byCaller.frames[0] !== undefined && running.frames[0] !== undefined ? true : undefined, 5000)

    const ci = await start(gw, 'for ci', 'ci')
    const ops = await start(gw, 'for ops', 'ops')
    await waitFor(() => statusesOf(byCaller.frames, ops.id).includes('succeeded') ? true : undefined, 15_000)
    await waitFor(() => statusesOf(running.frames, ci.id).includes('succeeded') && statusesOf(running.frames, ops.id).includes('succeeded') ? true : undefined, 15_000)
    expect(byCaller.frames.filter((f) => f.event === 'run').every((f) => f.data.caller === 'ops')).toBe(true)
    // With status=running: runs show while running, and once more when they leave it.
    for (const id of [ci.id, ops.id]) {
      const seen = statusesOf(running.frames, id)
      expect(seen).toContain('running')
      expect(seen.at(-1)).toBe('succeeded')
      expect(seen).not.toContain('queued')
    }
  })

  it('shows the runs a shutdown interrupts, then sends a shutdown event and ends without holding the shutdown back', async () => {
    const gw = await buildTestGateway({ env: { FAKE_CLAUDE_MODE: 'hang' } })
    const base = await listen(gw)
    const { id } = await start(gw, 'never finishes')
    const live = followEvents(`${base}/v1/runs/live`, { headers: { authorization: `Bearer ${ADMIN}` } })
    await waitFor(() => live.frames[0], 5000)
    await waitFor(() => gw.app.gateway.registry.running === 1 ? true : undefined, 5000)
    // Counted with the open event streams, which shutdown lets finish.
    expect(gw.app.gateway.streams.size).toBe(1)
    const started = Date.now()
    await gw.close()
    const { frames, ended } = await live.done
    // The agent's kill grace (1 s), then at most one poll (1 s), well inside the 2 s given to streams.
    expect(Date.now() - started).toBeLessThan(4000)
    expect(statusesOf(frames, id).at(-1)).toBe('interrupted')
    expect(frames.at(-1)).toMatchObject({ event: 'shutdown', data: { message: 'The gateway is shutting down' } })
    expect(ended).toBe(true)
  })

  it('is an event stream that sends the list first and pings while idle', async () => {
    const gw = await testGateway({ sse: { heartbeatMs: 200 } })
    const base = await listen(gw)
    const res = await fetch(`${base}/v1/runs/live`, { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const reader = res.body!.getReader()
    let text = ''
    const decoder = new TextDecoder()
    while (!text.includes(': ping')) text += decoder.decode((await reader.read()).value, { stream: true })
    expect(text).toMatch(/^id: \d+\nevent: runs\ndata: /)
    await reader.cancel()
  })
})
