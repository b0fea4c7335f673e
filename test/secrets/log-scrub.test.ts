// The process log: configured secrets never reach a line, whichever logger (the app's, a request's
// child) wrote it and however the secret got into the message; credential headers are redacted.
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import { describe, expect, it, onTestFinished } from 'vitest'
import { loggerOptions } from '../../src/logger.ts'
import { SecretScrubber } from '../../src/secrets/secret-scrubber.ts'

const BOT_TOKEN = '7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'
const QUOTED = 'pass "with" \\ quotes-0123456789'

async function loggingServer (scrubber?: SecretScrubber): Promise<{ url: string, lines: string[] }> {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const app = Fastify({ logger: loggerOptions('info', stream, scrubber) })
  app.post('/echo', async (request) => {
    request.log.info({ target: `https://api.telegram.org/bot${BOT_TOKEN}/sendMessage` }, 'sending')
    request.log.error({ err: new Error(`upstream refused ${Buffer.from(BOT_TOKEN).toString('base64')}`) }, 'failed')
    request.log.child({ part: 'child' }).warn(`child says ${QUOTED} and ${encodeURIComponent(BOT_TOKEN)}`)
    request.log.info({ req: request }, 'request with headers')
    return { ok: true }
  })
  app.log.info(`startup with ${Buffer.from(BOT_TOKEN).toString('hex')}`)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  onTestFinished(() => app.close())
  return { url, lines }
}

async function call (url: string): Promise<void> {
  const res = await fetch(`${url}/echo?token=run-link-token-0123456789`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BOT_TOKEN}`, 'x-telegram-bot-api-secret-token': 'tg-secret-token-0123456789', 'content-type': 'application/json' },
    body: '{}'
  })
  expect(res.status).toBe(200)
}

describe('process log', () => {
  it('never writes a configured secret, raw or encoded, from any logger', async () => {
    const { url, lines } = await loggingServer(new SecretScrubber([BOT_TOKEN, QUOTED, 'tg-secret-token-0123456789']))
    await call(url)
    const log = lines.join('')
    expect(lines.length).toBeGreaterThanOrEqual(5)
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow()
    for (const form of [BOT_TOKEN, Buffer.from(BOT_TOKEN).toString('base64'), Buffer.from(BOT_TOKEN).toString('hex'), encodeURIComponent(BOT_TOKEN),
      JSON.stringify(QUOTED).slice(1, -1), 'tg-secret-token-0123456789', 'run-link-token-0123456789']) {
      expect(log).not.toContain(form)
    }
    expect(log).toContain('bot[redacted]/sendMessage')
    expect(log).toContain('child says [redacted] and [redacted]')
  })

  it('shows what the scrubber adds: without it the same lines carry the secret', async () => {
    const { url, lines } = await loggingServer()
    await call(url)
    const log = lines.join('')
    expect(log).toContain(BOT_TOKEN)
    // Credential headers and the token parameter never appear either way.
    expect(log).not.toContain('tg-secret-token-0123456789')
    expect(log).not.toContain('run-link-token-0123456789')
  })
})
