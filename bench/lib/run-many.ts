// Exactly `count` requests from the pool through `concurrency` keep-alive connections, each checked
// against the expectation: a bounded batch of runs for the CPU figures.
import { Agent } from 'node:http'
import { send } from './http.ts'
import type { Expectation } from './load-spec.ts'
import type { PlannedRequest } from './request-pool.ts'

export interface BatchResult {
  good: number
  bad: number
  firstBad: string | null
  ms: number
}

export async function runBatch (origin: string, pool: PlannedRequest[], concurrency: number, expect: Expectation): Promise<BatchResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const result: BatchResult = { good: 0, bad: 0, firstBad: null, ms: 0 }
  const started = performance.now()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < pool.length) {
      const r = pool[next++]!
      try {
        const answer = await send(`${origin}${r.path}`, { method: r.method, headers: r.headers, body: r.body, agent, timeoutMs: 30_000 })
        if (answer.status === expect.status && (expect.bodyIncludes === undefined || answer.body.includes(expect.bodyIncludes))) {
          result.good++
          continue
        }
        result.bad++
        result.firstBad ??= `${answer.status} ${answer.body.slice(0, 160)}`
      } catch (error) {
        result.bad++
        result.firstBad ??= (error as Error).message
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker))
  } finally {
    agent.destroy()
  }
  result.ms = performance.now() - started
  return result
}
