// The spawner's messages to the gateway, sent once per turn of its event loop as one IPC message
// instead of one each. A run's start, output, end of output and exit were six writes to the channel,
// and each write can hand the core to the gateway it wakes (on two cores the spawner then waits for
// it); gathered, they are two or three. The order is kept: one queue, sent whole.
import type { SpawnerEvent } from './protocol.ts'

export class Outbox {
  readonly #send: (batch: SpawnerEvent[]) => void
  #queue: SpawnerEvent[] = []

  /** `send`: hands one batch to the channel (dropped by it when the gateway is gone). */
  constructor (send: (batch: SpawnerEvent[]) => void) {
    this.#send = send
  }

  push (event: SpawnerEvent): void {
    this.#queue.push(event)
    // After the I/O of this turn: what the other pipes and exits have to say goes along.
    if (this.#queue.length === 1) setImmediate(() => this.flush())
  }

  flush (): void {
    if (this.#queue.length === 0) return
    const batch = this.#queue
    this.#queue = []
    this.#send(batch)
  }
}
