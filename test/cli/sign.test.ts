// `hookgate sign` checked against independent computations: node:crypto in the test, the openssl
// command line, and the official standardwebhooks library.
import { execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { runCli, tempDir } from './helpers.ts'

const SECRET = '0123456789abcdef0123456789abcdef'
const WHSEC = `whsec_${Buffer.alloc(24, 7).toString('base64')}`
// Bytes that any trimming, re-encoding or newline translation would change.
const BODY = Buffer.concat([Buffer.from('  {"text":"héllo"}\r\n'), Buffer.from([0xff, 0x00, 0x0a]), Buffer.from('\n\n')])

// Each test gets its own directory with the body in it, so the tests (child processes) run side by side.
const test = it.extend<{ dir: string, file: string }>({
  dir: async ({}, use) => {
    const { dir, cleanup } = tempDir()
    await use(dir)
    cleanup()
  },
  file: async ({ dir }, use) => {
    const file = join(dir, 'body.bin')
    writeFileSync(file, BODY)
    await use(file)
  }
})

function headersOf (stdout: string): Record<string, string> {
  const lines = stdout.trimEnd().split('\n')
  return Object.fromEntries(lines.map((line) => {
    const match = /^([A-Za-z0-9-]+): (.+)$/.exec(line)
    if (match === null) throw new Error(`not a header line: ${JSON.stringify(line)}`)
    return [match[1]!, match[2]!]
  }))
}

const hmacHex = (key: string | Buffer, ...parts: Buffer[]): string => {
  const h = createHmac('sha256', key)
  for (const part of parts) h.update(part)
  return h.digest('hex')
}

describe.concurrent('hookgate sign', () => {
  test('hmac-sha256: HMAC over "<ts>.<body>" of the file, byte for byte', async ({ dir, file }) => {
    const r = await runCli(['sign', '--secret', SECRET, '--timestamp', '1700000000', file])
    expect(r.code, r.stderr).toBe(0)
    expect(headersOf(r.stdout)).toEqual({
      'X-Webhook-Timestamp': '1700000000',
      'X-Webhook-Signature': 'sha256=' + hmacHex(SECRET, Buffer.from('1700000000.'), BODY)
    })
  })

  test('defaults the timestamp to now', async ({ dir, file }) => {
    const before = Math.floor(Date.now() / 1000)
    const r = await runCli(['sign', '--secret', SECRET, file])
    const after = Math.floor(Date.now() / 1000)
    const headers = headersOf(r.stdout)
    const ts = Number(headers['X-Webhook-Timestamp'])
    expect(ts).toBeGreaterThanOrEqual(before)
    expect(ts).toBeLessThanOrEqual(after)
    expect(headers['X-Webhook-Signature']).toBe('sha256=' + hmacHex(SECRET, Buffer.from(`${ts}.`), BODY))
  })

  test('reads the body from stdin when there is no FILE, and from "-"', async ({ dir, file }) => {
    const expected = { 'X-Webhook-Timestamp': '42', 'X-Webhook-Signature': 'sha256=' + hmacHex(SECRET, Buffer.from('42.'), BODY) }
    const implicit = await runCli(['sign', '--secret', SECRET, '--timestamp', '42'], { input: BODY })
    expect(implicit.code, implicit.stderr).toBe(0)
    expect(headersOf(implicit.stdout)).toEqual(expected)
    const dash = await runCli(['sign', '--secret', SECRET, '--timestamp', '42', '-'], { input: BODY })
    expect(headersOf(dash.stdout)).toEqual(expected)
  })

  test('--max-age 0: the body alone, no timestamp header, equal to openssl dgst -hmac', async ({ dir, file }) => {
    const r = await runCli(['sign', '--secret', SECRET, '--max-age', '0', file])
    expect(r.code, r.stderr).toBe(0)
    const headers = headersOf(r.stdout)
    expect(Object.keys(headers)).toEqual(['X-Webhook-Signature'])
    const openssl = execFileSync('openssl', ['dgst', '-sha256', '-hmac', SECRET, '-r', file], { encoding: 'utf8' })
    const hex = /^([0-9a-f]{64})/.exec(openssl)?.[1]
    expect(hex).toBeDefined()
    expect(headers['X-Webhook-Signature']).toBe(`sha256=${hex}`)
    expect(headers['X-Webhook-Signature']).toBe('sha256=' + hmacHex(SECRET, BODY))
  })

  test('takes the secret from --secret-file (trailing newline ignored) and from $HOOKGATE_SECRET', async ({ dir, file }) => {
    const secretFile = join(dir, 'secret')
    writeFileSync(secretFile, `${SECRET}\n`)
    const expected = 'sha256=' + hmacHex(SECRET, Buffer.from('7.'), BODY)
    const fromFile = await runCli(['sign', '--secret-file', secretFile, '--timestamp', '7', file])
    expect(headersOf(fromFile.stdout)['X-Webhook-Signature']).toBe(expected)
    const fromEnv = await runCli(['sign', '--timestamp', '7', file], { env: { HOOKGATE_SECRET: SECRET } })
    expect(headersOf(fromEnv.stdout)['X-Webhook-Signature']).toBe(expected)
  })

  test('standard-webhooks: verified by the official library', async ({ dir, file }) => {
    // The library decodes the payload as UTF-8 and parses it as JSON, so this body is JSON.
    const json = Buffer.from('{"text":"héllo wörld"}\n')
    writeFileSync(file, json)
    const ts = Math.floor(Date.now() / 1000)
    const r = await runCli(['sign', '--scheme', 'standard-webhooks', '--secret', WHSEC, '--id', 'msg_test1', '--timestamp', String(ts), file])
    expect(r.code, r.stderr).toBe(0)
    const headers = headersOf(r.stdout)
    expect(headers['webhook-id']).toBe('msg_test1')
    expect(headers['webhook-timestamp']).toBe(String(ts))
    const key = Buffer.from(WHSEC.slice('whsec_'.length), 'base64')
    expect(headers['webhook-signature']).toBe('v1,' + createHmac('sha256', key).update(`msg_test1.${ts}.`).update(json).digest('base64'))
    expect(new Webhook(WHSEC).verify(json, headers)).toEqual({ text: 'héllo wörld' })
  })

  test.for([
    [['--timestamp', 'soon'], '--timestamp'],
    [['--max-age', '0', '--timestamp', '5'], '--timestamp'],
    [['--scheme', 'github'], '--scheme'],
    [['--scheme', 'standard-webhooks', '--max-age', '0'], '--max-age'],
    [['--id', 'x'], '--id']
  ] as Array<[string[], string]>)('refuses %j with exit 2 and a message naming %s', async ([flags, named], { file }) => {
    const r = await runCli(['sign', '--secret', SECRET, ...flags, file])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(named)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  test('says where it looked when there is no secret at all', async ({ dir, file }) => {
    const r = await runCli(['sign', file], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('no secret')
    expect(r.stderr).toContain('HOOKGATE_SECRET')
    expect(r.stderr).toContain(join(dir, '.hookgate', 'local.secret'))
  })

  test('a missing FILE is an error naming it', async ({ dir, file }) => {
    const r = await runCli(['sign', '--secret', SECRET, join(dir, 'nope.json')])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('nope.json: no such file')
  })
})
