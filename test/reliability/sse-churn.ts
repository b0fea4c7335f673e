// Event-stream clients that come and go for as long as a test runs: each picks a run that is still
// going, follows it for a random while (resuming with Last-Event-ID when it has followed that run
// before), drops the connection, pauses, and picks again.
import { sleep } from '../helpers/gateway-process.ts'
import { openSse } from './sse-clients.ts'

export interface ChurnRun { id: string, token: string }

export interface ChurnStats {
  connections: number
  frames: number
  results: number
  /** Streams that answered something other than 200, or failed before their end without being dropped. */
  failures: string[]
}

/**
 * Starts `clients` loops over `liveRuns()` (the runs to pick from, read anew each time). `stop()`
 * ends every loop, closing its connection, and resolves with what they did.
 */
export function churnClients (baseUrl: string, clients: number, liveRuns: () => ChurnRun[], random: () => number): { stop: () => Promise<ChurnStats> } {
  const stats: ChurnStats = { connections: 0, frames: 0, results: 0, failures: [] }
  let running = true
  const closers = new Set<() => void>()
  const loop = async (): Promise<void> => {
    const lastSeen = new Map<string, number>()
    while (running) {
      const runs = liveRuns()
      if (runs.length === 0) { await sleep(200); continue }
      const run = runs[Math.floor(random() * runs.length)]!
      const after = lastSeen.get(run.id)
      stats.connections++
      const sse = openSse(`${baseUrl}/v1/runs/${run.id}/events`, {
        headers: { authorization: `Bearer ${run.token}`, ...(after !== undefined ? { 'last-event-id': String(after) } : {}) },
        onFrame: (f) => {
          stats.frames++
          if (f.id !== null) lastSeen.set(run.id, f.id)
          if (f.event === 'result') stats.results++
        }
      })
      closers.add(sse.close)
      const stay = sleep(500 + random() * 7500)
      const status = await sse.status
      if (status !== 200 && running) stats.failures.push(`${run.id}: ${status} ${(await sse.body).slice(0, 120)}`)
      const end = await Promise.race([sse.done, stay.then(() => null)])
      sse.close()
      closers.delete(sse.close)
      if (end !== null && !end.ended && end.error !== null && running) stats.failures.push(`${run.id}: ${end.error}`)
      await sleep(random() * 1000)
    }
  }
  const loops = Array.from({ length: clients }, loop)
  return {
    stop: async () => {
      running = false
      for (const close of closers) close()
      await Promise.all(loops)
      return stats
    }
  }
}
