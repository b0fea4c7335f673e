import { describe, expect, it } from 'vitest'
import { testGateway } from '../helpers/build-app.ts'

describe('POST /v1/hooks/{caller}', () => {
  it('runs the agent for a signed request and answers with the finished run', async () => {
    const gw = await testGateway()
    const { payload, headers } = gw.signed({ text: 'list the files' })
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers })
    expect(res.statusCode).toBe(200)
    const run = res.json()
    expect(run).toMatchObject({ caller: 'ci', command: 'run', status: 'succeeded', exit_code: 0, truncated: false })
    expect(run.id).toMatch(/^run_[0-9a-z]{26}$/)
    expect(run.token).toMatch(/^hgr_/)
    expect(JSON.parse(run.output).prompt).toBe('list the files')
    expect(run.links).toEqual({ self: `/v1/runs/${run.id}`, events: `/v1/runs/${run.id}/events`, cancel: `/v1/runs/${run.id}/cancel` })
    const events = gw.audit().map((e) => e.event)
    expect(events).toEqual(['request', 'accepted', 'started', 'finished'])
  })

  it('answers 202 at once with Prefer: respond-async', async () => {
    const gw = await testGateway({ env: { FAKE_CLAUDE_MODE: 'slow' } })
    const { payload, headers } = gw.signed({ text: 'take your time' })
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers: { ...headers, prefer: 'respond-async' } })
    expect(res.statusCode).toBe(202)
    expect(res.headers.location).toBe(`/v1/runs/${res.json().id}`)
    expect(['queued', 'running']).toContain(res.json().status)
    expect(res.json().token).toMatch(/^hgr_/)
  })

  it('answers 202 when the run outlasts ?wait', async () => {
    const gw = await testGateway({ env: { FAKE_CLAUDE_MODE: 'hang' } })
    const { payload, headers } = gw.signed({ text: 'hang' })
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci?wait=0', payload, headers })
    expect(res.statusCode).toBe(202)
    expect(res.json().status).toMatch(/queued|running/)
  })

  it.each([
    ['no signature', (h: Record<string, string>) => { delete h['x-webhook-signature'] }],
    ['wrong signature', (h: Record<string, string>) => { h['x-webhook-signature'] = `sha256=${'0'.repeat(64)}` }],
    ['malformed signature', (h: Record<string, string>) => { h['x-webhook-signature'] = 'sha1=abc' }],
    ['stale timestamp', (h: Record<string, string>) => { h['x-webhook-timestamp'] = String(Math.floor(Date.now() / 1000) - 301) }],
    ['future timestamp', (h: Record<string, string>) => { h['x-webhook-timestamp'] = String(Math.floor(Date.now() / 1000) + 301) }],
    ['malformed timestamp', (h: Record<string, string>) => { h['x-webhook-timestamp'] = '+1700000000' }]
  ])('refuses %s with the same opaque 401 and starts nothing', async (_name, mutate) => {
    const gw = await testGateway()
    const { payload, headers } = gw.signed({ text: 'list the files' })
    mutate(headers)
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual({ statusCode: 401, code: 'HOOKGATE_UNAUTHORIZED', error: 'Unauthorized', message: 'Unauthorized' })
    expect(await gw.app.gateway.registry.list({ limit: 10 })).toHaveLength(0)
    const audit = gw.audit()
    expect(audit.map((e) => e.event)).toEqual(['request', 'rejected'])
    expect(typeof audit[1]!.reason).toBe('string')
  })

  it('answers an unknown caller exactly like a bad signature', async () => {
    const gw = await testGateway()
    const { payload, headers } = gw.signed({ text: 'hi' })
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/nobody', payload, headers })
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('HOOKGATE_UNAUTHORIZED')
    expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected', reason: 'unknown_caller' })
  })

  it('verifies before parsing: a bad signature on invalid JSON is 401, a good one 400', async () => {
    const gw = await testGateway()
    const bad = gw.signed('{not json')
    bad.headers['x-webhook-signature'] = `sha256=${'1'.repeat(64)}`
    expect((await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...bad })).statusCode).toBe(401)
    const good = gw.signed('{not json')
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...good })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('HOOKGATE_BAD_REQUEST')
  })

  it.each([
    ['missing text', { user: 'a' }],
    ['empty text', { text: '' }],
    ['unknown field', { text: 'hi', extra: 1 }],
    ['text not a string', { text: 42 }],
    ['prototype pollution', '{"text":"hi","__proto__":{"x":1}}']
  ])('refuses a signed body with %s as 400', async (_name, body) => {
    const gw = await testGateway()
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed(body) })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('HOOKGATE_BAD_REQUEST')
    expect(await gw.app.gateway.registry.list({ limit: 10 })).toHaveLength(0)
  })

  it('refuses a body over the limit with 413 before verifying it', async () => {
    const gw = await testGateway({ limits: '{ body_bytes: 2048 }' })
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'x'.repeat(4000) }) })
    expect(res.statusCode).toBe(413)
    expect(res.json().code).toBe('HOOKGATE_PAYLOAD_TOO_LARGE')
    expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected' })
  })

  it('refuses blocked text and its Unicode disguises with 403 naming the rule', async () => {
    const gw = await testGateway()
    for (const text of ['please rm -rf /', 'RM\u00a0-RF /', 'r\u200bm -rf /', 'ｒｍ -rf /']) {
      const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text }) })
      expect(res.statusCode, text).toBe(403)
      expect(res.json()).toMatchObject({ code: 'HOOKGATE_POLICY_DENIED' })
      expect(res.json().message).toContain('policy.block[0]')
      expect(res.json().message).not.toContain('rm')
    }
    const bidi = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'list \u202efiles' }) })
    expect(bidi.statusCode).toBe(403)
    expect(await gw.app.gateway.registry.list({ limit: 10 })).toHaveLength(0)
  })

  it('passes shell metacharacters and a leading dash to the agent verbatim, as a stdin message and never in argv', async () => {
    const gw = await testGateway()
    const text = '-p $(touch /tmp/hookgate-pwned); echo `id` && ls | cat'
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text }) })
    expect(res.statusCode).toBe(200)
    const seen = JSON.parse(res.json().output)
    expect(seen.prompt).toBe(text)
    expect(seen.prompt_source).toBe('stream-json')
    expect(seen.argv).not.toContain(text)
  })

  it('accepts a prompt at the length cap and refuses one over it', async () => {
    const gw = await testGateway({ policy: '{ max_prompt_chars: 100 }' })
    const ok = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'a'.repeat(100) }) })
    expect(ok.statusCode).toBe(200)
    const over = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'a'.repeat(101) }) })
    expect(over.statusCode).toBe(403)
    expect(over.json().message).toContain('max_prompt_chars')
  })

  it('applies command rules: unknown command, args_match and choices', async () => {
    const gw = await testGateway()
    const send = async (text: string) => gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text }) })
    expect((await send('/nope x')).json().message).toContain('unknown command')
    expect((await send('/git push --force')).json().message).toContain('commands.git.args_match')
    expect((await send('/deploy moon')).json().message).toContain('commands.deploy.choices')
    const git = await send('/git status')
    expect(git.statusCode).toBe(200)
    expect(JSON.parse(git.json().output).prompt).toBe('Run git status')
  })
})
