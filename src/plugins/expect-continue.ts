// `Expect: 100-continue` asks whether to send the body at all (curl asks for any body over 1 MiB).
// Node answers "100 Continue" to every such request as it arrives, before any check, so a client with
// no business here is invited to upload. Here the 100 is sent only when the body is about to be read:
// after the checks that come before it (an unknown caller, the per-address guard, a draining gateway,
// no such route), which answer instead and close the connection (unread-body-close.ts), and never for a
// declared length over the route's limit, which Fastify refuses with 413 before reading.
import { Socket } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

async function expectContinuePlugin (app: FastifyInstance): Promise<void> {
  // With a listener, Node leaves the 100 to us and the request goes on as any other.
  app.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    app.server.emit('request', req, res)
  })
  app.addHook('preParsing', (request, reply, payload, done) => {
    const declared = Number(request.headers['content-length'] ?? 0)
    // Injected requests (tests) have no real socket to answer on.
    if (request.headers.expect?.toLowerCase() === '100-continue' && request.raw.socket instanceof Socket &&
        !(declared > request.routeOptions.bodyLimit)) {
      reply.raw.writeContinue()
    }
    done(null, payload)
  })
}

export default fp(expectContinuePlugin, { name: 'hookgate-expect-continue' })
