// Legitimate traffic at a steady rate: one request every 1000/rate ms whatever the previous ones are
// doing (an open-loop generator, so a slow gateway shows up as latency, not as fewer requests), each
// with its own time from sending to the complete answer.
import { Agent, request } from 'undici'

export interface SteadySample {
  /** Date.now() when it was sent. */
  at: number
  ms: number
  status: number
  /** The error when no answer came. */
  error: string | null
}

export interface SteadyTraffic {
  samples: SteadySample[]
  /** Stops sending and resolves when every request sent has its answer. */
  stop: () => Promise<SteadySample[]>
}

export function steadyTraffic (opts: {
  url: string
  rate: number
  /** Body and headers of the next request (signed afresh each time). */
  next: () => { body: string, headers: Record<string, string> }
  /** Keep-alive connections the generator may use. */
  connections?: number
}): SteadyTraffic {
  const dispatcher = new Agent({ connections: opts.connections ?? 16, keepAliveTimeout: 60_000 })
  const samples: SteadySample[] = []
  const pending = new Set<Promise<void>>()
  const send = (): void => {
    const { body, headers } = opts.next()
    const at = Date.now()
    const started = performance.now()
    const done = request(opts.url, { method: 'POST', body, headers, dispatcher, headersTimeout: 30_000, bodyTimeout: 30_000 })
      .then(async (res) => {
        await res.body.text()
        samples.push({ at, ms: performance.now() - started, status: res.statusCode, error: null })
      }, (err: Error) => {
        samples.push({ at, ms: performance.now() - started, status: 0, error: err.message })
      })
      .finally(() => pending.delete(done))
    pending.add(done)
  }
  const timer = setInterval(send, 1000 / opts.rate)
  return {
    samples,
    stop: async () => {
      clearInterval(timer)
      await Promise.all([...pending])
      await dispatcher.close()
      return samples
    }
  }
}
