import { resolve } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildTestGateway, SECRET } from '../helpers/build-app.ts'

const ENV_AGENT = resolve(import.meta.dirname, '../fixtures/env-agent.mjs')

describe('the agent\'s environment', () => {
  it('holds only PATH, HOME, LANG, TERM, NO_COLOR, the run marker and the allowlisted names, never the gateway\'s secrets', async () => {
    const gw = await buildTestGateway({
      agent: `{ profile: command, argv: [${process.execPath}, ${ENV_AGENT}, "{prompt}"], env: [ALLOWED_ONE], timeout: 10 }`,
      env: { HOME: '/home/agent', LANG: 'C.UTF-8', ALLOWED_ONE: 'yes', HOOKGATE_ADMIN_TOKEN: 'must-not-leak', AWS_SECRET_ACCESS_KEY: 'nope', CI_WEBHOOK_SECRET: SECRET }
    })
    onTestFinished(() => gw.close())
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...gw.signed({ text: 'print env' }) })
    expect(res.json().status).toBe('succeeded')
    const env = JSON.parse(res.json().output) as Record<string, string>
    expect(Object.keys(env).sort()).toEqual(['ALLOWED_ONE', 'HOME', 'HOOKGATE_RUN_ID', 'LANG', 'NO_COLOR', 'PATH', 'TERM'])
    expect(env).toMatchObject({ TERM: 'dumb', NO_COLOR: '1', ALLOWED_ONE: 'yes', HOME: '/home/agent', HOOKGATE_RUN_ID: res.json().id })
    expect(res.body).not.toContain('must-not-leak')
  })
})

describe('hostile input', () => {
  it('never crashes or answers 5xx, and never starts a run, for arbitrary unsigned requests', async () => {
    const gw = await buildTestGateway({ limits: '{ per_address: { max: 100000, window: 60 } }' })
    onTestFinished(() => gw.close())
    const header = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('sha256=', 'sha256=' + 'g'.repeat(64), '', ' ', '1e3', '-1', '99999999999999'))
    await fc.assert(fc.asyncProperty(
      fc.record({ sig: header, ts: header, ctype: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''), body: fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b))) }),
      async ({ sig, ts, ctype, body }) => {
        const headers: Record<string, string> = {}
        // Node refuses header values with control characters before they reach the server.
        if (/^[\t\x20-\x7e]*$/.test(sig)) headers['x-webhook-signature'] = sig
        if (/^[\t\x20-\x7e]*$/.test(ts)) headers['x-webhook-timestamp'] = ts
        if (ctype !== '') headers['content-type'] = ctype
        const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload: body, headers })
        expect([400, 401, 413, 415]).toContain(res.statusCode)
      }
    ), { numRuns: 300 })
    expect(await gw.app.gateway.registry.list({ limit: 10 })).toHaveLength(0)
  })

  it('answers a signed request with any content type the same way: verified bytes, then JSON', async () => {
    const gw = await buildTestGateway()
    onTestFinished(() => gw.close())
    const req = gw.signed({ text: 'hello' })
    const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', ...req, headers: { ...req.headers, 'content-type': 'text/plain' } })
    expect(res.statusCode).toBe(200)
  })
})
