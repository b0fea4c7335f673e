// Maps idempotency keys (derived only from signed material) to the run they created. Kept for the
// life of the process and at least `ttlMs`; bounded so a flood of distinct keys cannot grow it forever.
export class IdempotencyIndex {
  readonly #ttlMs: number
  readonly #maxKeys: number
  readonly #now: () => number
  readonly #keys = new Map<string, { runId: string, expiresAt: number }>()

  constructor (opts: { ttlMs: number, maxKeys: number, now: () => number }) {
    this.#ttlMs = opts.ttlMs
    this.#maxKeys = opts.maxKeys
    this.#now = opts.now
  }

  /** The run a key already belongs to, or null. */
  find (keys: readonly string[]): string | null {
    const now = this.#now()
    for (const key of keys) {
      const hit = this.#keys.get(key)
      if (hit !== undefined && hit.expiresAt > now) return hit.runId
    }
    return null
  }

  remember (keys: readonly string[], runId: string): void {
    const expiresAt = this.#now() + this.#ttlMs
    for (const key of keys) {
      this.#keys.delete(key)
      this.#keys.set(key, { runId, expiresAt })
    }
    // Map iteration is insertion order, so the first entries are the oldest.
    for (const [key, hit] of this.#keys) {
      if (this.#keys.size <= this.#maxKeys && hit.expiresAt > this.#now()) break
      this.#keys.delete(key)
    }
  }
}
