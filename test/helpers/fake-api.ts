// A local stand-in for a platform's API (Twilio, LINE, Slack, Telegram, Discord, a Teams Workflows
// webhook, a callback receiver): a real HTTP server on 127.0.0.1 that records every request it
// gets and answers from a script, so delivery code is exercised over real sockets.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'

export interface RecordedRequest {
  method: string
  /** Path and query as sent. */
  url: string
  headers: IncomingMessage['headers']
  body: string
  /** The body parsed as JSON, or undefined. */
  json: unknown
  /** The body parsed as a form, or undefined. */
  form: Record<string, string> | undefined
  /** Wall clock ms when the request was complete. */
  at: number
}

export interface FakeResponse {
  status?: number
  headers?: Record<string, string>
  /** Object → JSON. */
  body?: unknown
  /** Wait this long before answering (timeouts). */
  delayMs?: number
  /** Drop the connection without answering. */
  destroy?: boolean
}

export type FakeRoute = (req: RecordedRequest) => FakeResponse | undefined

export interface FakeApi {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string
  requests: RecordedRequest[]
  /** The next requests (of any path) get these answers, in order, before the routes are asked. */
  enqueue (...responses: FakeResponse[]): void
  /** Answers for requests whose path matches; the first route that returns something wins. */
  route (match: string | RegExp, answer: FakeResponse | FakeRoute): void
  /** Resolves once `n` requests (matching `match`, if given) have arrived; rejects after `timeoutMs`. */
  waitFor (n: number, opts?: { match?: string | RegExp, timeoutMs?: number }): Promise<RecordedRequest[]>
  close (): Promise<void>
}

export async function startFakeApi (defaultResponse: FakeResponse = { status: 200, body: { ok: true } }): Promise<FakeApi> {
  const requests: RecordedRequest[] = []
  const queue: FakeResponse[] = []
  const routes: Array<{ match: string | RegExp, answer: FakeResponse | FakeRoute }> = []
  const waiters = new Set<() => void>()

  const matches = (m: string | RegExp, url: string) => typeof m === 'string' ? url.startsWith(m) : m.test(url)

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const type = String(req.headers['content-type'] ?? '')
      let json: unknown
      let form: Record<string, string> | undefined
      if (type.includes('json')) {
        try { json = JSON.parse(body) } catch {}
      } else if (type.includes('x-www-form-urlencoded')) {
        form = Object.fromEntries(new URLSearchParams(body))
      }
      const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json, form, at: Date.now() }
      requests.push(recorded)
      for (const w of [...waiters]) w()

      let answer: FakeResponse | undefined = queue.shift()
      if (answer === undefined) {
        for (const r of routes) {
          if (!matches(r.match, recorded.url)) continue
          answer = typeof r.answer === 'function' ? r.answer(recorded) : r.answer
          if (answer !== undefined) break
        }
      }
      answer ??= defaultResponse
      const send = () => {
        if (answer.destroy === true) { req.socket.destroy(); return }
        const payload = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
        const headers: Record<string, string> = { ...(typeof answer.body === 'object' ? { 'content-type': 'application/json' } : {}), ...answer.headers }
        res.writeHead(answer.status ?? 200, headers).end(payload)
      }
      if (answer.delayMs !== undefined) setTimeout(send, answer.delayMs)
      else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const api: FakeApi = {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...r) => { queue.push(...r) },
    route: (match, answer) => { routes.push({ match, answer }) },
    waitFor: (n, opts = {}) => new Promise((resolve, reject) => {
      const pick = () => requests.filter((r) => opts.match === undefined || matches(opts.match, r.url))
      const check = () => {
        const got = pick()
        if (got.length < n) return false
        waiters.delete(check)
        clearTimeout(timer)
        resolve(got)
        return true
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`fake API: expected ${n} request(s)${opts.match !== undefined ? ` matching ${String(opts.match)}` : ''}, got ${pick().length}`))
      }, opts.timeoutMs ?? 10_000)
      waiters.add(check)
      check()
    }),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  }
  // Inside a test it closes itself; from beforeAll the caller closes it.
  try { onTestFinished(() => api.close()) } catch {}
  return api
}
