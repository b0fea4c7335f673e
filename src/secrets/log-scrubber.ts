// The scrubber of the process log, which outlives configs: a reload adds the new config's secrets
// and keeps the old ones, because a secret rotated out is still a secret (and may still arrive).
import type { SecretScrubber } from './secret-scrubber.ts'

export class LogScrubber {
  #scrubbers: SecretScrubber[]

  constructor (first: SecretScrubber) {
    this.#scrubbers = [first]
  }

  get size (): number {
    return this.#scrubbers.reduce((n, s) => n + s.size, 0)
  }

  add (next: SecretScrubber): void {
    // Bounded: a gateway reloaded every minute for a year keeps the latest few sets only.
    this.#scrubbers = [...this.#scrubbers, next].slice(-8)
  }

  scrub (line: string): string {
    let out = line
    for (const scrubber of this.#scrubbers) out = scrubber.scrub(out)
    return out
  }
}
