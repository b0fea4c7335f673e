// The steering handles of the runs this process executes: a message for a running
// interactive agent goes into its stdin; every other case is the caller's to queue as the next turn.
import type { RunControl } from '../runner/interactive-session.ts'

export class RunControls {
  readonly #controls = new Map<string, RunControl>()

  attach (runId: string, control: RunControl): void {
    this.#controls.set(runId, control)
  }

  detach (runId: string): void {
    this.#controls.delete(runId)
  }

  /** True when the message went into the running agent. */
  steer (runId: string, text: string): boolean {
    return this.#controls.get(runId)?.steer(text) ?? false
  }
}
