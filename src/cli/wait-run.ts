// Waits for a run the gateway answered 202 for (still running after its sync wait), by reading the
// run object with the run's token until its status is final.
import { setTimeout as sleep } from 'node:timers/promises'
import { request, type Dispatcher } from 'undici'
import type { Run } from '../schemas/run.ts'
import { readJson, refusal } from './http.ts'
import { isFinal, isRun } from './run-format.ts'

export interface WaitOptions {
  base: URL
  token: string
  dispatcher: Dispatcher
  signal: AbortSignal
  userAgent: string
  intervalMs?: number
}

export async function waitForRun (run: Run, options: WaitOptions): Promise<Run> {
  let current = run
  while (!isFinal(current)) {
    await sleep(options.intervalMs ?? 1000, undefined, { signal: options.signal })
    const res = await request(new URL(current.links.self, options.base), {
      method: 'GET',
      headers: { authorization: `Bearer ${options.token}`, accept: 'application/json', 'user-agent': options.userAgent },
      dispatcher: options.dispatcher,
      signal: options.signal
    })
    const { value, text } = await readJson(res.body)
    if (res.statusCode >= 400) throw refusal(res.statusCode, res.headers, value, text)
    if (!isRun(value)) throw new Error(`GET ${current.links.self} did not answer with a run object`)
    current = value
  }
  return current
}
