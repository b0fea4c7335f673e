// A gateway listening on a real port, for platform tests: requests go over TCP with undici exactly
// as a platform would send them, and the time to the answer is measured (deadline tests).
import { request } from 'undici'
import { onTestFinished } from 'vitest'
import { buildTestGateway, type TestGateway, type TestGatewayOptions } from './build-app.ts'

export interface PlatformAnswer {
  status: number
  headers: Record<string, string>
  text: string
  /** Milliseconds from sending the request to the complete answer. */
  ms: number
}

export interface PlatformGateway extends TestGateway {
  /** e.g. http://127.0.0.1:40123 */
  url: string
  post (path: string, body: string | Buffer, headers: Record<string, string>): Promise<PlatformAnswer>
  /** Resolves when the audit log has a record matching `match`, or rejects after `timeoutMs`. */
  waitForAudit (match: (r: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
}

export async function platformGateway (opts: TestGatewayOptions): Promise<PlatformGateway> {
  const gw = await buildTestGateway({ ...opts, deps: { deliveryRetry: { firstMs: 50, maxMs: 200, attempts: 4 }, ...opts.deps } })
  const url = await gw.app.listen({ host: '127.0.0.1', port: 0 })
  onTestFinished(() => gw.close())
  return {
    ...gw,
    url,
    async post (path, body, headers) {
      const started = performance.now()
      const res = await request(url + path, { method: 'POST', headers, body })
      const text = await res.body.text()
      const flat: Record<string, string> = {}
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : String(v)
      return { status: res.statusCode, headers: flat, text, ms: performance.now() - started }
    },
    async waitForAudit (match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const hit = gw.audit().find(match)
        if (hit !== undefined) return hit
        if (Date.now() > deadline) throw new Error(`no audit record matched within ${timeoutMs} ms; last: ${JSON.stringify(gw.audit().slice(-3))}`)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    }
  }
}
