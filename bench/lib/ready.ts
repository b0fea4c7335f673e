// Choosing a loopback port and waiting for a server to answer on it.
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { send } from './http.ts'
import type { Started } from './processes.ts'

/** A port free on 127.0.0.1 right now (the kernel's pick, released at once). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export interface ReadyProbe {
  path: string
  /** Status that means ready; any HTTP answer when absent. */
  status?: number
}

/**
 * Polls `url + probe.path` every 5 ms until it answers as ready. Returns the milliseconds since
 * `since` (performance.now() at spawn). Throws with the server's log if it exits or takes too long.
 */
export async function waitReady (url: string, probe: ReadyProbe, server: Started, since: number, timeoutMs = 30_000): Promise<number> {
  const deadline = since + timeoutMs
  for (;;) {
    if (!server.alive()) throw new Error(`server exited before it was ready:\n${server.log().slice(-2000)}`)
    const answer = await send(`${url}${probe.path}`, { method: 'GET', timeoutMs: 1000 }).catch(() => null)
    if (answer !== null && (probe.status === undefined || answer.status === probe.status)) return performance.now() - since
    if (performance.now() > deadline) throw new Error(`server not ready after ${timeoutMs} ms:\n${server.log().slice(-2000)}`)
    await sleep(5)
  }
}
