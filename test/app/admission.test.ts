import { describe, expect, it } from 'vitest'
import { SECRET, testGateway } from '../helpers/build-app.ts'
import { signHmacSha256 } from '../helpers/sign.ts'

describe('idempotency', () => {
  it('answers a repeated caller id with the original run and Hookgate-Replayed, starting one run', async () => {
    const gw = await testGateway()
    const first = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'hello', id: 'delivery-1' }) })
    expect(first.statusCode).toBe(200)
    expect(first.headers['hookgate-replayed']).toBeUndefined()
    // A fresh signature (new timestamp would be identical within the second, so change the text) with the same id.
    const again = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'hello again', id: 'delivery-1' }) })
    expect(again.headers['hookgate-replayed']).toBe('true')
    expect(again.json().id).toBe(first.json().id)
    expect(again.json().token).toBeUndefined()
    expect(await gw.app.gateway.registry.list({ limit: 10 })).toHaveLength(1)
  })

  it('treats the same signed bytes as the same delivery, even sent as a concurrent pair', async () => {
    const gw = await testGateway({ env: { FAKE_CLAUDE_MODE: 'slow' } })
    const req = gw.signed({ text: 'once only' })
    const [a, b] = await Promise.all([
      gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...req, headers: { ...req.headers, prefer: 'respond-async' } }),
      gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...req, headers: { ...req.headers, prefer: 'respond-async' } })
    ])
    expect(a.json().id).toBe(b.json().id)
    expect([a.headers['hookgate-replayed'], b.headers['hookgate-replayed']].filter(Boolean)).toEqual(['true'])
    expect(await gw.app.gateway.registry.list({ limit: 10 })).toHaveLength(1)
    expect(gw.audit().filter((e) => e.event === 'accepted')).toHaveLength(1)
  })

  it('does not replay across callers that happen to use the same id', async () => {
    const other = 'other-secret-0123456789abcdef012'
    const gw = await testGateway({ callers: `{ ci: { scheme: hmac-sha256, secrets: [${SECRET}], commands: [run], default_command: run }, ci2: { scheme: hmac-sha256, secrets: [${other}], commands: [run], default_command: run } }` })
    const body = JSON.stringify({ text: 'x', id: 'same' })
    const ts = Math.floor(Date.now() / 1000)
    const a = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload: body, headers: { 'x-webhook-timestamp': String(ts), 'x-webhook-signature': signHmacSha256(SECRET, body, ts) } })
    const b = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci2', payload: body, headers: { 'x-webhook-timestamp': String(ts), 'x-webhook-signature': signHmacSha256(other, body, ts) } })
    expect(a.statusCode).toBe(200)
    expect(b.statusCode).toBe(200)
    expect(a.json().id).not.toBe(b.json().id)
  })
})

describe('rate limits', () => {
  it('limits each caller after verification with 429 and Retry-After, without delaying another caller', async () => {
    const other = 'other-secret-0123456789abcdef012'
    const gw = await testGateway({ callers: `{ ci: { scheme: hmac-sha256, secrets: [${SECRET}], commands: [run], default_command: run, rate_limit: { max: 2, window: 60 } }, ops: { scheme: hmac-sha256, secrets: [${other}], commands: [run], default_command: run } }` })
    const codes: number[] = []
    for (let i = 0; i < 4; i++) {
      const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci?wait=0', ...gw.signed({ text: `n ${i}` }) })
      codes.push(res.statusCode)
      if (res.statusCode === 429) {
        expect(res.json().code).toBe('HOOKGATE_RATE_LIMITED')
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      }
    }
    expect(codes.filter((c) => c === 429)).toHaveLength(2)
    const body = JSON.stringify({ text: 'ops is unaffected' })
    const ts = Math.floor(Date.now() / 1000)
    const ops = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ops?wait=0', payload: body, headers: { 'x-webhook-timestamp': String(ts), 'x-webhook-signature': signHmacSha256(other, body, ts) } })
    expect(ops.statusCode).not.toBe(429)
  })

  it('does not count requests with bad signatures against the caller', async () => {
    const gw = await testGateway({ callers: `{ ci: { scheme: hmac-sha256, secrets: [${SECRET}], commands: [run], default_command: run, rate_limit: { max: 1, window: 60 } } }` })
    for (let i = 0; i < 5; i++) {
      const bad = gw.signed({ text: 'x' })
      bad.headers['x-webhook-signature'] = `sha256=${'a'.repeat(64)}`
      expect((await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...bad })).statusCode).toBe(401)
    }
    expect((await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'legit' }) })).statusCode).toBe(200)
  })

  it('guards each client address before verification, cheaply', async () => {
    const gw = await testGateway({ limits: '{ per_address: { max: 3, window: 60 } }' })
    const codes: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload: '{}', headers: { 'x-webhook-signature': 'sha256=00' } })
      codes.push(res.statusCode)
    }
    expect(codes).toEqual([401, 401, 401, 429, 429])
    const fromElsewhere = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', remoteAddress: '10.9.8.7', ...gw.signed({ text: 'hi' }) })
    expect(fromElsewhere.statusCode).toBe(200)
  })
})

describe('concurrency and queue', () => {
  it('runs at most limits.concurrency at once, queues limits.queue, and answers 503 with Retry-After beyond', async () => {
    const gw = await testGateway({ env: { FAKE_CLAUDE_MODE: 'hang' }, limits: '{ concurrency: 1, queue: 1 }' })
    const send = async (text: string) => gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text }), headers: { ...gw.signed({ text }).headers, prefer: 'respond-async' } })
    const a = await send('one')
    const b = await send('two')
    const c = await send('three')
    expect(a.statusCode).toBe(202)
    expect(b.statusCode).toBe(202)
    expect(b.json().status).toBe('queued')
    expect(c.statusCode).toBe(503)
    expect(c.json().code).toBe('HOOKGATE_OVERLOADED')
    expect(c.headers['retry-after']).toBeDefined()
    expect(gw.app.gateway.registry.running).toBe(1)
    expect(gw.app.gateway.registry.queued).toBe(1)
    // Cancelling the running run lets the queued one start.
    gw.app.gateway.registry.cancel(a.json().id)
    await (await gw.app.gateway.registry.get(a.json().id))!.finished
    await expect.poll(async () => (await gw.app.gateway.registry.get(b.json().id))!.status).toBe('running')
  })
})

describe('built-in commands', () => {
  it('/help lists the caller\'s commands and starts nothing', async () => {
    const gw = await testGateway()
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: '/help' }) })
    expect(res.statusCode).toBe(200)
    expect(res.json().kind).toBe('help')
    expect(res.json().message).toContain('/run')
    expect(res.json().message).toContain('/git')
    expect(await gw.app.gateway.registry.list({ limit: 10 })).toHaveLength(0)
  })

  it('/status lists the user\'s active runs and /cancel stops the latest', async () => {
    const gw = await testGateway({ env: { FAKE_CLAUDE_MODE: 'hang' } })
    const started = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci?wait=0', ...gw.signed({ text: 'work', user: 'ana' }) })
    const id = started.json().id
    const status = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: '/status', user: 'ana' }) })
    expect(status.json().runs.map((r: { id: string }) => r.id)).toEqual([id])
    const otherUser = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: '/cancel', user: 'bob' }) })
    expect(otherUser.json().message).toContain('No active run')
    const cancel = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: '/cancel', user: 'ana' }) })
    expect(cancel.json().kind).toBe('cancel')
    await (await gw.app.gateway.registry.get(id))!.finished
    expect((await gw.app.gateway.registry.get(id))!.status).toBe('cancelled')
  })

  it('/deploy production needs /confirm CODE from the same user', async () => {
    const gw = await testGateway()
    const ask = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: '/deploy production', user: 'ana' }) })
    expect(ask.statusCode).toBe(200)
    expect(ask.json().kind).toBe('confirm_required')
    const code = ask.json().confirm.code as string
    expect(await gw.app.gateway.registry.list({ limit: 10 })).toHaveLength(0)
    const wrongUser = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: `/confirm ${code}`, user: 'bob' }) })
    expect(wrongUser.statusCode).toBe(403)
    const ok = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: `/confirm ${code}`, user: 'ana' }) })
    expect(ok.statusCode).toBe(200)
    expect(JSON.parse(ok.json().output).prompt).toBe('Deploy to production.')
    const reused = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: `/confirm  ${code}`, user: 'ana' }) })
    expect(reused.statusCode).toBe(403)
    // Staging needs no confirmation.
    const staging = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: '/deploy staging', user: 'ana' }) })
    expect(staging.json().status).toBe('succeeded')
  })

  it('a confirmation expires after 5 minutes', async () => {
    let now = Date.now()
    const gw = await testGateway({ now: () => now })
    const ask = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: '/deploy production', user: 'ana' }) })
    now += 5 * 60 * 1000 + 1
    const late = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: `/confirm ${ask.json().confirm.code}`, user: 'ana' }) })
    expect(late.statusCode).toBe(403)
  })
})

describe('audit log', () => {
  it('holds no secrets, signatures or bodies, and chains every line to the previous one', async () => {
    const gw = await testGateway()
    const req = gw.signed({ text: 'a very particular prompt 4242', user: 'ana' })
    await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...req })
    const raw = JSON.stringify(gw.audit())
    expect(raw).not.toContain(SECRET)
    expect(raw).not.toContain(req.headers['x-webhook-signature']!.slice(7))
    expect(raw).not.toContain('particular prompt')
    const lines = gw.audit()
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1))
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.prev).toBe(lines[i - 1]!.hash)
    const accepted = lines.find((l) => l.event === 'accepted')!
    expect(accepted).toMatchObject({ caller: 'ci', user: 'ana', prompt_chars: 29 })
    expect(accepted.prompt_sha256).toMatch(/^[0-9a-f]{64}$/)
  })
})
