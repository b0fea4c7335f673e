// GET /metrics on a listener of its own, for `hookgate worker --metrics-port`: a worker serves no
// HTTP otherwise, so its runs, deliveries and process figures had no endpoint. The rules are the
// gateway's route's (src/routes/metrics.ts): `metrics.enabled: false` answers 404 as for any other
// path, `metrics.token` needs `Authorization: Bearer <token>` (compared like the admin token), and the
// error bodies carry the same codes. node:http rather than a Fastify instance: one read-only route,
// bound to 127.0.0.1 unless told otherwise, is all it is.
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AdminToken, bearerFrom } from '../auth/bearer.ts'
import type { MetricsConfig } from '../config/schema.ts'
import { InternalError, NotFoundError, UnauthorizedError } from '../errors.ts'
import type { GatewayMetrics } from './gateway-metrics.ts'

export interface MetricsListener {
  /** Where the metrics are, e.g. http://127.0.0.1:9465/metrics. */
  url: string
  close: () => Promise<void>
}

export interface MetricsListenerOptions {
  host: string
  port: number
  /** A scrape that failed (answered 500 without the reason). */
  onError: (error: unknown) => void
}

export async function listenForMetrics (metrics: GatewayMetrics, config: MetricsConfig, at: MetricsListenerOptions): Promise<MetricsListener> {
  const expected = config.token === undefined ? null : new AdminToken(config.token)
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]
    if (!config.enabled || path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      fail(res, new NotFoundError(`No route ${req.method ?? 'GET'} ${path}`))
      return
    }
    if (expected !== null && !expected.matches(bearerFrom(req, false))) {
      fail(res, new UnauthorizedError())
      return
    }
    const text = await metrics.text()
    res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
    res.end(req.method === 'HEAD' ? undefined : text)
  }
  // Short timeouts: a scraper sends one small request; anything slower is not one.
  const server = createServer({ headersTimeout: 5_000, requestTimeout: 10_000 }, (req, res) => {
    answer(req, res).catch((error: unknown) => {
      // As the gateway's error handler does: the reason goes to the log, not into the answer.
      at.onError(error)
      if (!res.headersSent) fail(res, new InternalError('Internal error'))
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(at.port, at.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}/metrics`,
    close: async () => {
      server.closeIdleConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** The error body every hookgate route answers with: `{ statusCode, code, error, message }`. */
function fail (res: ServerResponse, error: Error & { statusCode?: number, code?: string }): void {
  const statusCode = error.statusCode ?? 500
  const body = JSON.stringify({ statusCode, code: error.code, error: STATUS_CODES[statusCode], message: error.message })
  res.writeHead(statusCode, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(body)
}
