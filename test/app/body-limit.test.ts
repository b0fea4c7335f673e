// A body over the limit, over real TCP: the whole 413 reaches the client, the gateway stops reading
// the socket right after the cap (the client goes on writing; the server's socket.bytesRead shows
// what was read), and the connection closes: a FIN after the answer, the socket destroyed after the
// linger. Only a real socket shows this: inject() has no kernel buffers and no reset.
import { createServer } from 'node:http'
import { connect, type Server, type Socket } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { LingeringClose } from '../../src/plugins/unread-body-close.ts'
import { ADMIN, testGateway } from '../helpers/build-app.ts'

const KiB = 1024
const CAP = 256 * KiB
/** What one read of the server may take past the cap (Node reads at most 64 KiB at a time), plus framing. */
const ONE_READ = 64 * KiB + KiB
/** A body refused for its declared length: what came while the hooks before parsing ran (the request
 *  stream's 64 KiB buffer, filled by one last read), never the cap. */
const BEFORE_PARSING = 64 * KiB + ONE_READ

interface Upload {
  /** Everything the server sent, as latin1. */
  answer: string
  /** Body bytes the kernel took from us (the server read at most this much). */
  written: number
  /** Milliseconds from the first byte of the answer to the server's FIN (null: none came, a reset did). */
  endMs: number | null
  /** Milliseconds from the first byte of the answer to the socket's close. */
  closeMs: number
  /** How the connection ended on our side: an error code or `closed`, after `stalled` if writes stopped. */
  ending: string
}

/** Streams `total` bytes of body and goes on writing after the answer, until the kernel takes no more. */
async function upload (port: number, path: string, headers: Record<string, string>, framing: 'chunked' | 'length', total = 128 * CAP): Promise<Upload> {
  const socket = connect(port, '127.0.0.1')
  let answer = ''
  let answeredAt: number | null = null
  let endedAt: number | null = null
  let ending = ''
  let stalled = false
  socket.on('data', (d: Buffer) => { answeredAt ??= performance.now(); answer += d.toString('latin1') })
  socket.on('end', () => { endedAt = performance.now() })
  socket.on('error', (err: NodeJS.ErrnoException) => { ending ||= err.code ?? err.message })
  const closed = new Promise<number>((resolve) => socket.on('close', () => { ending ||= 'closed'; resolve(performance.now()) }))
  await new Promise((resolve) => socket.once('connect', resolve))
  const head = `POST ${path} HTTP/1.1\r\nhost: x\r\n` + Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
    (framing === 'chunked' ? 'transfer-encoding: chunked\r\n\r\n' : `content-length: ${total}\r\n\r\n`)
  const piece = Buffer.alloc(16 * KiB, 'a')
  const framed = framing === 'chunked' ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece
  // A write the kernel does not take within 300 ms: the server has stopped reading and the buffers are full.
  const write = (bytes: Buffer | string): Promise<boolean> => new Promise((resolve) => {
    if (socket.destroyed) { resolve(false); return }
    const timer = setTimeout(() => { stalled = true; resolve(false) }, 300)
    socket.write(bytes, (err) => { clearTimeout(timer); resolve(err == null) })
  })
  let written = 0
  if (await write(head)) while (written < total && await write(framed)) written += piece.length
  const closedAt = await closed
  return {
    answer,
    written,
    endMs: endedAt === null || answeredAt === null ? null : endedAt - answeredAt,
    closeMs: closedAt - (answeredAt ?? closedAt),
    ending: stalled ? `stalled, then ${ending}` : ending
  }
}

/** The status, the headers and whether the body is exactly as long as Content-Length says. */
function parseAnswer (answer: string): { status: number, headers: Record<string, string>, body: string, complete: boolean } {
  const split = answer.indexOf('\r\n\r\n')
  const [statusLine = '', ...lines] = answer.slice(0, split).split('\r\n')
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
  const body = answer.slice(split + 4)
  return { status: Number(statusLine.split(' ')[1]), headers, body, complete: split > 0 && Buffer.byteLength(body, 'latin1') === Number(headers['content-length']) }
}

/** Every socket the server accepts, to read its bytesRead. */
function serverSockets (server: Server): Socket[] {
  const sockets: Socket[] = []
  server.on('connection', (s) => sockets.push(s))
  return sockets
}

/** The whole answer, `Connection: close`, at most `maxRead` bytes read by the server, a FIN, then the close. */
function expectAnsweredUnread (result: Upload, sockets: Socket[], maxRead: number, status: number, code: string): void {
  const answer = parseAnswer(result.answer)
  expect(answer.status, result.ending).toBe(status)
  expect(answer.complete, result.answer).toBe(true)
  expect(JSON.parse(answer.body)).toMatchObject({ statusCode: status, code })
  expect(answer.headers.connection).toBe('close')
  // The client went on writing well past what was read, and the server read none of it.
  expect(result.written).toBeGreaterThan(4 * CAP)
  expect(sockets).toHaveLength(1)
  expect(sockets[0]!.bytesRead).toBeLessThanOrEqual(maxRead)
  // A FIN right after the answer (no reset), and the socket destroyed once the linger (2 s) is over.
  expect(result.endMs, result.ending).not.toBeNull()
  expect(result.endMs!).toBeLessThan(1000)
  expect(result.closeMs).toBeLessThan(4000)
}

function expectRefusedUnread (result: Upload, sockets: Socket[], maxRead: number): void {
  expectAnsweredUnread(result, sockets, maxRead, 413, 'HOOKGATE_PAYLOAD_TOO_LARGE')
}

describe('a body over the limit on a real connection', () => {
  it.each(['chunked', 'length'] as const)('webhook, %s: a complete 413 with Connection: close, nothing read past the cap, the connection closed', async (framing) => {
    const gw = await testGateway({ limits: `{ body_bytes: ${CAP} }` })
    const sockets = serverSockets(gw.app.server)
    await gw.app.listen({ host: '127.0.0.1', port: 0 })
    // Signed over a small body: the limit comes first, the signature is never checked.
    const { headers } = gw.signed({ text: 'hi' })
    const result = await upload((gw.app.server.address() as { port: number }).port, '/v1/hooks/ci', headers, framing)

    // Chunked, one read past the cap at most; with a declared length, only what came before it was checked.
    expectRefusedUnread(result, sockets, (framing === 'chunked' ? CAP + ONE_READ : BEFORE_PARSING) + 2 * KiB)
    expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected', reason: 'FST_ERR_CTP_BODY_TOO_LARGE' })
  })

  it('admin runs (the JSON parser, the app-wide limit): the same 413 and the same stop', async () => {
    const gw = await testGateway({ limits: `{ body_bytes: ${CAP} }` })
    const sockets = serverSockets(gw.app.server)
    await gw.app.listen({ host: '127.0.0.1', port: 0 })
    const result = await upload((gw.app.server.address() as { port: number }).port, '/v1/admin/runs',
      { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, 'chunked')

    expectRefusedUnread(result, sockets, CAP + ONE_READ + 2 * KiB)
  })
})

describe('an answer given before the body is read', () => {
  // Refused in onRequest, before the body parser: Node alone would read (and drop) the whole upload,
  // or wait for a trickling one until the request timeout, and keep the connection.
  it.each(['chunked', 'length'] as const)('an unknown caller, %s: a complete 401 with Connection: close, the body left unread, the connection closed', async (framing) => {
    const gw = await testGateway()
    const sockets = serverSockets(gw.app.server)
    await gw.app.listen({ host: '127.0.0.1', port: 0 })
    const result = await upload((gw.app.server.address() as { port: number }).port, '/v1/hooks/nobody', { 'content-type': 'application/json' }, framing)

    expectAnsweredUnread(result, sockets, BEFORE_PARSING + 2 * KiB, 401, 'HOOKGATE_UNAUTHORIZED')
    expect(gw.audit().at(-1)).toMatchObject({ event: 'rejected', reason: 'unknown_caller' })
  })

  it('the per-address guard: its 429 closes the connection the same way', async () => {
    const gw = await testGateway({ limits: '{ per_address: { max: 1, window: 60 } }' })
    await gw.app.listen({ host: '127.0.0.1', port: 0 })
    const port = (gw.app.server.address() as { port: number }).port
    const { payload: body, headers } = gw.signed({ text: 'hi' })
    expect((await fetch(`http://127.0.0.1:${port}/v1/hooks/ci`, { method: 'POST', headers: { ...headers, prefer: 'respond-async' }, body })).status).toBe(202)
    const sockets = serverSockets(gw.app.server)
    const result = await upload(port, '/v1/hooks/ci', headers, 'chunked')

    expectAnsweredUnread(result, sockets, BEFORE_PARSING + 2 * KiB, 429, 'HOOKGATE_RATE_LIMITED')
    expect(gw.audit().filter((r) => r.event === 'rejected')).toMatchObject([{ reason: 'address_rate_limited' }])
  })

  it('no such route: its 404 closes the connection the same way', async () => {
    const gw = await testGateway()
    const sockets = serverSockets(gw.app.server)
    await gw.app.listen({ host: '127.0.0.1', port: 0 })
    const result = await upload((gw.app.server.address() as { port: number }).port, '/v1/nothing-here', { 'content-type': 'application/json' }, 'chunked')

    expectAnsweredUnread(result, sockets, BEFORE_PARSING + 2 * KiB, 404, 'HOOKGATE_NOT_FOUND')
  })

  it('a refusal of a body that was read whole keeps the connection open for the next request', async () => {
    const gw = await testGateway()
    const sockets = serverSockets(gw.app.server)
    await gw.app.listen({ host: '127.0.0.1', port: 0 })
    const port = (gw.app.server.address() as { port: number }).port
    const { payload: body, headers } = gw.signed({ text: 'hi' })
    const wrong = { ...headers, 'x-webhook-signature': `sha256=${'0'.repeat(64)}` }
    const socket = connect(port, '127.0.0.1')
    onTestFinished(() => { socket.destroy() })
    let answers = ''
    socket.on('data', (d: Buffer) => { answers += d.toString('latin1') })
    const request = `POST /v1/hooks/ci HTTP/1.1\r\nhost: x\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      Object.entries(wrong).map(([k, v]) => `${k}: ${v}\r\n`).join('') + `\r\n${body}`
    socket.write(request + request)
    for (let i = 0; i < 200 && (answers.match(/HTTP\/1\.1 \d{3} /g) ?? []).length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10))

    const statuses = [...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))
    expect(statuses, answers).toEqual([401, 401])
    expect(answers.toLowerCase()).not.toContain('connection: close')
    expect(sockets).toHaveLength(1)
    expect(socket.destroyed).toBe(false)
  })
})

describe('the lingering close', () => {
  it('holds a refused socket open for the linger, and at most `max` of them: past it, Node\'s own close', async () => {
    const lingering = new LingeringClose({ max: 1, lingerMs: 1000 })
    // Each request is refused unread, as the onError hook does, and answered with Connection: close.
    const server = createServer((req, res) => {
      lingering.take(req.socket)
      res.writeHead(413, { connection: 'close', 'content-length': '2' }).end('no')
    })
    onTestFinished(() => { server.close() })
    const closes: Array<Promise<number>> = []
    server.on('connection', (s: Socket) => {
      const started = performance.now()
      closes.push(new Promise((resolve) => s.once('close', () => resolve(performance.now() - started))))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const first = upload(port, '/', {}, 'chunked', 16 * CAP)
    for (let i = 0; i < 100 && lingering.size === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    const second = await upload(port, '/', {}, 'chunked', 16 * CAP)

    expect(parseAnswer((await first).answer).status).toBe(413)
    expect(parseAnswer(second.answer).status).toBe(413)
    expect(await closes[0]!).toBeGreaterThanOrEqual(1000)
    expect(await closes[1]!).toBeLessThan(500)
    expect(lingering.size).toBe(0)
  })
})
