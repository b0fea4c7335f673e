// A client that streams a huge request body over a raw socket as fast as the gateway takes it, reading
// the answer at the same time, and stops writing at the first byte of that answer (or when the
// gateway closes or resets the connection). It reports how much it managed to write before then: the
// gateway read at most that much, the rest sat in the kernel's socket buffers.
import { connect } from 'node:net'

export interface UploadResult {
  /** Body bytes (without chunk framing) the kernel took before the answer or the end of the connection. */
  written: number
  /** The status of the answer, or null when none arrived before the connection ended. */
  status: number | null
  /** The answer as received (status line, headers and as much of the body as came). */
  answer: string
  /** How the connection ended on our side: an error code (EPIPE, ECONNRESET), `closed` or `timeout`. */
  ending: string
  /** Milliseconds from connecting to the first byte of the answer (null: none came). */
  answerMs: number | null
  /** Milliseconds from connecting to the end of the connection. */
  closeMs: number
  /** Bytes of the request line and headers. */
  headBytes: number
}

export interface UploadOptions {
  url: string
  /** Request headers besides Host and the framing header. */
  headers: Record<string, string>
  totalBytes: number
  /** `chunked`: Transfer-Encoding, the length unknown in advance; `length`: Content-Length: totalBytes. */
  framing: 'chunked' | 'length'
  /** Gives up (and destroys the socket) after this long. */
  timeoutMs: number
}

const CHUNK = 64 * 1024

export async function oversizeUpload (opts: UploadOptions): Promise<UploadResult> {
  const target = new URL(opts.url)
  const framingHeader = opts.framing === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${opts.totalBytes}`
  const head = `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\n` +
    Object.entries(opts.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + `${framingHeader}\r\n\r\n`
  const piece = Buffer.alloc(CHUNK, 'a')
  const framed = opts.framing === 'chunked' ? Buffer.concat([Buffer.from(`${CHUNK.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece
  const started = performance.now()
  const socket = connect(Number(target.port), target.hostname)
  let written = 0
  let writtenAtAnswer: number | null = null
  let answerAt: number | null = null
  let answer = ''
  let ending = ''
  let stop = false
  const ended = new Promise<number>((resolve) => {
    socket.on('data', (d: Buffer) => {
      if (answerAt === null) { answerAt = performance.now(); writtenAtAnswer = written }
      answer += d.toString('latin1')
      stop = true
    })
    socket.on('error', (err: NodeJS.ErrnoException) => { ending ||= err.code ?? err.message; stop = true })
    socket.on('close', () => { ending ||= 'closed'; stop = true; resolve(performance.now()) })
  })
  const timer = setTimeout(() => { ending ||= 'timeout'; socket.destroy() }, opts.timeoutMs)
  await new Promise<void>((resolve) => { socket.once('connect', () => resolve()); socket.once('close', () => resolve()) })
  const write = (bytes: Buffer | string): Promise<boolean> => new Promise((resolve) => {
    if (socket.destroyed) { resolve(false); return }
    socket.write(bytes, (err) => resolve(err == null))
  })
  if (await write(head)) {
    // Each write waits until the kernel took the previous one, so the answer is seen as soon as it comes.
    while (!stop && written < opts.totalBytes && await write(framed)) written += CHUNK
    if (!stop && opts.framing === 'chunked') await write('0\r\n\r\n')
  }
  const closedAt = await ended
  clearTimeout(timer)
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer)
  return {
    written: writtenAtAnswer ?? written,
    status: m === null ? null : Number(m[1]),
    answer,
    ending,
    answerMs: answerAt === null ? null : answerAt - started,
    closeMs: closedAt - started,
    headBytes: Buffer.byteLength(head)
  }
}
