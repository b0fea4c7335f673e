// A request whose body goes over its limit is answered 413 and its connection closed without reading
// the rest of the body. Left to itself, Node keeps reading a refused body after the answer (it
// "dumps" what is unread so the connection could serve another request), up to the whole upload when
// it is chunked; and it then destroys the socket with bytes still unread, so the kernel sends a reset
// that can reach the client before the client has read the 413. Instead, as soon as Fastify refuses
// the body:
//   - the socket stops reading for good (the client's writes stall once the kernel's buffers fill);
//   - the answer says `Connection: close`;
//   - the close lingers, as web servers do: the answer, then our FIN, then a short wait with nothing
//     read so the client can take the answer; only then is the socket destroyed.
import { Socket } from 'node:net'
import type { FastifyError, FastifyInstance } from 'fastify'
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
    stopReading(socket)
    if (this.#sockets.has(socket) || this.#sockets.size >= this.#max) return
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

async function oversizeClosePlugin (app: FastifyInstance, opts: LingeringCloseOptions): Promise<void> {
  const lingering = new LingeringClose(opts)
  // A callback hook, not an async one: it runs in the same tick as Fastify's refusal, before the
  // event loop can read another chunk of the body.
  app.addHook('onError', (request, reply, error: FastifyError, done) => {
    const socket = request.raw.socket
    // Injected requests (tests) have no real socket.
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && socket instanceof Socket) {
      void reply.header('connection', 'close')
      lingering.take(socket)
    }
    done()
  })
}

export default fp(oversizeClosePlugin, { name: 'hookgate-oversize-close' })
