// The spawner's sweeps (a run's escaped processes, found by a /proc scan) gathered into one scan. A
// scan reads every process's stat file, about a millisecond on a quiet machine, and every finished run
// asks for one: at a few hundred runs a second that was most of the spawner's CPU, on the cores the
// gateway and its agents share. Sweeps that arrive together, or within MIN_INTERVAL_MS of the last
// scan, share the next one. An escapee outlives its run by at most that long; nothing waits on it.
import { killEachRun, type KillRequest } from '../../proc/run-processes.ts'

/** At most this many scans a second under load; a sweep after a quiet spell starts at once. */
export const MIN_SWEEP_INTERVAL_MS = 20

export class SweepQueue {
  readonly #kill: (requests: readonly KillRequest[]) => unknown
  readonly #now: () => number
  #pending: KillRequest[] = []
  #timer: NodeJS.Timeout | NodeJS.Immediate | null = null
  #lastScan = -Infinity

  constructor (options: { kill?: (requests: readonly KillRequest[]) => unknown, now?: () => number } = {}) {
    this.#kill = options.kill ?? killEachRun
    this.#now = options.now ?? (() => performance.now())
  }

  add (request: KillRequest): void {
    this.#pending.push(request)
    if (this.#timer !== null) return
    // Even right away, after the messages already read: those that came in the same read join.
    const wait = this.#lastScan + MIN_SWEEP_INTERVAL_MS - this.#now()
    this.#timer = wait > 0 ? setTimeout(() => this.flush(), wait) : setImmediate(() => this.flush())
  }

  /**
   * Before a process of `runId` starts (a retried attempt carries the same run marker): its run's
   * pending sweeps go first, as they did when every sweep ran on arrival. Run later, a sweep of the
   * previous attempt would find the new attempt's processes by their marker and kill them.
   */
  flushFor (runId: string): void {
    if (this.#pending.some((request) => request.target.runId === runId)) this.flush()
  }

  /** Runs every pending sweep now (also on the way out, so that no escapee is left behind). */
  flush (): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer as NodeJS.Timeout)
      clearImmediate(this.#timer as NodeJS.Immediate)
      this.#timer = null
    }
    const requests = this.#pending
    if (requests.length === 0) return
    this.#pending = []
    this.#lastScan = this.#now()
    try {
      this.#kill(requests)
    } catch {
      // /proc unreadable in some unexpected way: the group kills the gateway sent still happened.
    }
  }

  get pending (): number {
    return this.#pending.length
  }
}
