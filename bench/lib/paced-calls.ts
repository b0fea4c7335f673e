// A legitimate caller at a steady rate: one signed request every 1/rate seconds whether or not the
// previous ones have been answered (an open model, so a slow server cannot slow the caller down and
// hide its own latency), each a fresh `printf ok` run answered synchronously.
import { Agent } from 'node:http'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { CALLER, secretOf } from './hookgate-config.ts'
import { send } from './http.ts'
import { signedHeaders } from './sign.ts'

export interface PacedResult {
  /** Milliseconds from sending to the complete answer, for every answer that was a finished run. */
  latencies: number[]
  sent: number
  failed: number
  firstFailure: string | null
}

/** Calls until `stop` resolves (at most `maxS` seconds), then waits for the calls in flight. */
export async function pacedCalls (origin: string, rate: number, stop: Promise<unknown>, maxS: number): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 })
  const tag = randomBytes(6).toString('hex')
  const result: PacedResult = { latencies: [], sent: 0, failed: 0, firstFailure: null }
  const inFlight: Array<Promise<void>> = []
  let stopped = false
  void stop.then(() => { stopped = true })
  const begin = performance.now()
  const call = async (i: number): Promise<void> => {
    const body = JSON.stringify({ text: `paced ${tag} ${i}`, id: `paced-${tag}-${i}` })
    try {
      const answer = await send(`${origin}/v1/hooks/${CALLER.printf}`, { method: 'POST', headers: signedHeaders(secretOf(CALLER.printf), body), body, agent, timeoutMs: 30_000 })
      if (answer.status === 200 && answer.body.includes('"status":"succeeded"')) {
        result.latencies.push(answer.ms)
        return
      }
      result.failed++
      result.firstFailure ??= `${answer.status} ${answer.body.slice(0, 160)}`
    } catch (error) {
      result.failed++
      result.firstFailure ??= (error as Error).message
    }
  }
  try {
    for (let i = 0; !stopped && performance.now() - begin < maxS * 1000; i++) {
      // Scheduled from the start, so a late timer does not lower the rate.
      const wait = begin + (i * 1000) / rate - performance.now()
      if (wait > 0) await sleep(wait)
      if (stopped) break
      result.sent++
      inFlight.push(call(i))
    }
    await Promise.all(inFlight)
  } finally {
    agent.destroy()
  }
  return result
}
