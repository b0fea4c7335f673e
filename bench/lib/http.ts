// One HTTP request over node:http, with a hard timeout: the bench's own client for readiness probes,
// paced callers and the runs it counts. Keep-alive comes from the agent passed in.
import { request, type Agent } from 'node:http'

export interface SendOptions {
  method: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  agent?: Agent
  timeoutMs?: number
}

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  /** Milliseconds from sending to the last byte of the answer. */
  ms: number
}

export async function send (url: string, opts: SendOptions): Promise<Answer> {
  const started = performance.now()
  return await new Promise((resolve, reject) => {
    const req = request(url, {
      method: opts.method,
      headers: {
        ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}),
        ...opts.headers
      },
      ...(opts.agent !== undefined ? { agent: opts.agent } : {}),
      timeout: opts.timeoutMs ?? 30_000
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`${opts.method} ${url}: no answer within ${opts.timeoutMs ?? 30_000} ms`)))
    req.on('error', reject)
    req.end(opts.body)
  })
}
