// The soak's traffic: signed requests at a steady rate, most of them forged (a wrong secret, so 401),
// some valid runs of the chaos agent with random lengths; each answer is tallied by kind and status.
import { postSigned, sleep, type Answer, type GatewayProcess } from '../helpers/gateway-process.ts'
import { body } from './util.ts'

export interface SoakRun { id: string, token: string, /** Date.now() by which it has surely ended. */ endsBy: number }

export interface LoadTally {
  requests: number
  /** `valid 202`, `invalid 401`, `valid error TimeoutError`, … */
  statuses: Map<string, number>
  runs: Map<string, SoakRun>
}

export const newTally = (): LoadTally => ({ requests: 0, statuses: new Map(), runs: new Map() })

export interface LoadOptions {
  seconds: number
  /** Requests per second. */
  rate: number
  /** Share of them that are valid runs. */
  validShare: number
  /** Runs last 1 s to this. */
  maxRunS: number
  random: () => number
  /** Called before each request is sent. */
  onTick?: () => void
}

/** Sends for `seconds`, then waits for every answer. */
export async function sendLoad (gw: GatewayProcess, tally: LoadTally, opts: LoadOptions): Promise<void> {
  const count = (key: string): void => { tally.statuses.set(key, (tally.statuses.get(key) ?? 0) + 1) }
  const pending: Array<Promise<void>> = []
  const started = Date.now()
  for (let due = started; due < started + opts.seconds * 1000; due += 1000 / opts.rate) {
    const wait = due - Date.now()
    if (wait > 0) await sleep(wait)
    opts.onTick?.()
    const i = tally.requests++
    if (opts.random() < opts.validShare) {
      const seconds = 1 + opts.random() * (opts.maxRunS - 1)
      pending.push(postSigned(gw.url, body(`soak-${i} ms=${Math.round(seconds * 1000)}`), { async: true, signal: AbortSignal.timeout(30_000) }).then((a: Answer) => {
        count(`valid ${a.status}`)
        if (a.status === 202) tally.runs.set(String(a.body!.id), { id: String(a.body!.id), token: String(a.body!.token), endsBy: Date.now() + (seconds + 5) * 1000 })
      }, (err: Error) => { count(`valid error ${err.name}`) }))
    } else {
      pending.push(postSigned(gw.url, body(`forged-${i}`), { secret: 'not-the-secret-0123456789abcdef', signal: AbortSignal.timeout(30_000) })
        .then((a: Answer) => { count(`invalid ${a.status}`) }, (err: Error) => { count(`invalid error ${err.name}`) }))
    }
  }
  await Promise.all(pending)
}
