// `Expect: 100-continue` over real TCP: the gateway invites the body only when it is about to read it.
// A request it refuses before that (unknown caller, per-address guard, a declared length over the
// limit) gets its final answer instead of a 100, and the connection closes; a request it accepts gets
// the 100, then its answer.
import { connect } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { testGateway } from '../helpers/build-app.ts'

interface Exchange {
  /** Everything the server sent before we sent the body (or before it closed), as latin1. */
  beforeBody: string
  /** Everything the server sent, as latin1. */
  all: string
  /** Whether we sent the body (we do once a 100 comes). */
  sentBody: boolean
  closed: boolean
}

/** Sends the head of a request that expects 100-continue; sends `body` only once a 100 arrives. */
async function exchange (port: number, path: string, headers: Record<string, string>, body: string, declared = Buffer.byteLength(body)): Promise<Exchange> {
  const socket = connect(port, '127.0.0.1')
  onTestFinished(() => { socket.destroy() })
  let all = ''
  let beforeBody: string | null = null
  let closed = false
  const finalAnswer = new Promise<void>((resolve) => {
    socket.on('data', (d: Buffer) => {
      all += d.toString('latin1')
      if (beforeBody === null && all.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
        beforeBody = all
        socket.write(body)
      }
      // A final answer is whole once its Content-Length worth of body came after the head.
      const final = all.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '')
      const split = final.indexOf('\r\n\r\n')
      const length = /content-length: (\d+)/i.exec(final.slice(0, split))?.[1]
      if (split > 0 && length !== undefined && final.length - split - 4 >= Number(length)) resolve()
    })
    socket.on('close', () => { closed = true; resolve() })
  })
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: ${declared}\r\n` +
    Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n')
  await finalAnswer
  // A close that follows the answer: give it a moment to arrive.
  await new Promise((resolve) => setTimeout(resolve, 100))
  return { beforeBody: beforeBody ?? all, all, sentBody: beforeBody !== null, closed }
}

const status = (answer: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, ''))?.[1])

describe('Expect: 100-continue', () => {
  it('a request the gateway takes gets the 100, then its answer', async () => {
    const gw = await testGateway()
    await gw.app.listen({ host: '127.0.0.1', port: 0 })
    const { payload, headers } = gw.signed({ text: 'hi' })
    const result = await exchange((gw.app.server.address() as { port: number }).port, '/v1/hooks/ci', { ...headers, prefer: 'respond-async' }, payload)

    expect(result.sentBody, result.all).toBe(true)
    expect(status(result.all), result.all).toBe(202)
  })

  it('an unknown caller gets its 401 instead of a 100, and the connection closes', async () => {
    const gw = await testGateway()
    await gw.app.listen({ host: '127.0.0.1', port: 0 })
    const result = await exchange((gw.app.server.address() as { port: number }).port, '/v1/hooks/nobody', { 'content-type': 'application/json' }, '{"text":"hi"}', 50 * 1024 * 1024)

    expect(result.sentBody, result.all).toBe(false)
    expect(status(result.all), result.all).toBe(401)
    expect(result.all.toLowerCase()).toContain('connection: close')
    expect(result.closed).toBe(true)
  })

  it('the per-address guard gets its 429 instead of a 100', async () => {
    const gw = await testGateway({ limits: '{ per_address: { max: 1, window: 60 } }' })
    await gw.app.listen({ host: '127.0.0.1', port: 0 })
    const port = (gw.app.server.address() as { port: number }).port
    const { payload, headers } = gw.signed({ text: 'hi' })
    const first = await exchange(port, '/v1/hooks/ci', { ...headers, prefer: 'respond-async' }, payload)
    const second = await exchange(port, '/v1/hooks/ci', { ...headers, prefer: 'respond-async' }, payload)

    expect(status(first.all), first.all).toBe(202)
    expect(second.sentBody, second.all).toBe(false)
    expect(status(second.all), second.all).toBe(429)
    expect(second.closed).toBe(true)
  })

  it('a declared length over the limit gets its 413 instead of a 100', async () => {
    const gw = await testGateway({ limits: '{ body_bytes: 65536 }' })
    await gw.app.listen({ host: '127.0.0.1', port: 0 })
    const { payload, headers } = gw.signed({ text: 'hi' })
    const result = await exchange((gw.app.server.address() as { port: number }).port, '/v1/hooks/ci', headers, payload, 65537)

    expect(result.sentBody, result.all).toBe(false)
    expect(status(result.all), result.all).toBe(413)
    expect(result.closed).toBe(true)
  })
})
