// An answer given before the request's body has been read closes the connection without reading the
// rest. Left to itself, Node keeps reading a refused body after the answer (it "dumps" what is unread
// so the connection could serve another request), up to the whole upload when it is chunked or until
// the request timeout when it trickles in; and it then destroys the socket with bytes still unread, so
// the kernel sends a reset that can reach the client before the client has read the answer. That is
// the case of a body over its limit (413) and of every refusal made before the body is read: an
// unknown caller (401), the per-address guard (429), a draining gateway (503), no such route (404).
// Instead:
//   - the socket stops reading for good (the client's writes stall once the kernel's buffers fill);
//   - the answer says `Connection: close`;
//   - the close lingers, as web servers do: the answer, then our FIN, then a short wait with nothing
//     read so the client can take the answer; only then is the socket destroyed.
import { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

/** Long enough for a client to read an answer already sent; short enough not to hold the socket long. */
export const LINGER_MS = 2000
/** Past this many lingering sockets, a refused connection is destroyed at once (as Node would): a flood
 *  of oversize uploads must not hold sockets, each with a full kernel receive buffer. */
export const MAX_LINGERING = 64

export interface LingeringCloseOptions {
  lingerMs?: number
  max?: number
}

/** The sockets of refused requests that wait out their linger: one set per app, bounded. */
export class LingeringClose {
  readonly #sockets = new Set<Socket>()
  readonly #lingerMs: number
  readonly #max: number

  constructor ({ lingerMs = LINGER_MS, max = MAX_LINGERING }: LingeringCloseOptions = {}) {
    this.#lingerMs = lingerMs
    this.#max = max
  }

  get size (): number {
    return this.#sockets.size
  }

  /** Stops reading `socket` at once and makes the close that follows the answer a lingering one. */
  take (socket: Socket): void {
    if (this.#sockets.has(socket)) return
    stopReading(socket)
    if (this.#sockets.size >= this.#max) return
    this.#sockets.add(socket)
    let timer: NodeJS.Timeout | undefined
    socket.once('close', () => {
      clearTimeout(timer)
      this.#sockets.delete(socket)
    })
    // Node's HTTP server calls destroySoon() once a `Connection: close` answer is written: it ends the
    // socket and destroys it as soon as the answer is flushed, unread bytes and all. Here it ends, and
    // the destroy waits. (Unref'd: a lingering socket never keeps the process alive.)
    socket.destroySoon = () => {
      socket.end()
      timer = setTimeout(() => socket.destroy(), this.#lingerMs).unref()
    }
  }
}

/** Pauses `socket` and keeps it paused, whatever asks for more of the request body later. */
function stopReading (socket: Socket): void {
  socket.pause()
  // Reading the request (Node's own dump of an unread body included) resumes the socket; its 'resume'
  // event comes before the event loop can read again, and pausing there keeps the kernel's data unread.
  socket.on('resume', () => socket.pause())
}

/** Whether the request announced a body (a length above 0, or chunks) that has not all been read. */
function bodyUnread (request: FastifyRequest): boolean {
  const raw = request.raw
  if (raw.complete) return false
  const length = raw.headers['content-length']
  return raw.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

async function unreadBodyClosePlugin (app: FastifyInstance, opts: LingeringCloseOptions): Promise<void> {
  const lingering = new LingeringClose(opts)
  const close = (request: FastifyRequest, reply: FastifyReply): void => {
    const socket = request.raw.socket
    // Injected requests (tests) have no real socket.
    if (!(socket instanceof Socket)) return
    void reply.header('connection', 'close')
    lingering.take(socket)
  }
  // A callback hook, not an async one: it runs in the same tick as Fastify's refusal, before the
  // event loop can read another chunk of the body.
  app.addHook('onError', (request, reply, error: FastifyError, done) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') close(request, reply)
    done()
  })
  // Every other answer that comes before the body was read: refusals in onRequest, 404s.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (bodyUnread(request)) close(request, reply)
    done(null, payload)
  })
}

export default fp(unreadBodyClosePlugin, { name: 'hookgate-unread-body-close' })
