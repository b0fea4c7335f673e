// Group append: records appended during one event-loop turn are written together at the end of it
// (on setImmediate), so a burst of requests costs one write, one anchor update and one look at the
// live file instead of one of each per record. Everyone who appended waits on the group's promise,
// which settles only after the write returned: a record is still in the file before the answer it
// explains is sent. A synchronous append flushes the group first, so records keep their call order.
export class AppendGroup<T> {
  readonly #write: (items: readonly T[]) => void
  #items: T[] = []
  #done: PromiseWithResolvers<void> | null = null
  // Bound once: no closure per group.
  readonly #flushLater = (): void => { this.flush() }

  /** `write`: writes every item or throws; called with each group in order, never concurrently. */
  constructor (write: (items: readonly T[]) => void) {
    this.#write = write
  }

  /** Settles once `item` and the rest of its group are written; rejects with the write's error. */
  add (item: T): Promise<void> {
    this.#items.push(item)
    if (this.#done === null) {
      this.#done = Promise.withResolvers()
      setImmediate(this.#flushLater)
    }
    return this.#done.promise
  }

  /** Writes the waiting group now (before a synchronous append, a rotation or close). */
  flush (): void {
    const done = this.#done
    if (done === null) return
    const items = this.#items
    this.#items = []
    this.#done = null
    try {
      this.#write(items)
      done.resolve()
    } catch (err) {
      done.reject(err)
    }
  }
}
