// Wake-ups for readers waiting on another process's events: every append publishes "<runId> <lastSeq>"
// on one channel, and one subscriber connection per store fans the messages out to the waiters of
// each run. A wake-up is only a hint (readers then read the store), so it never fails: while the
// subscriber is not subscribed, a waiter sleeps until maxMs, and every (re)subscription re-checks all
// waiters against the store, since messages published while it was away are lost.
import type { Redis } from 'ioredis'

interface Waiter {
  afterSeq: number
  wake: () => void
}

export class EventWakeups {
  readonly #channel: string
  readonly #createSubscriber: () => Redis
  readonly #lastSeq: (id: string) => Promise<number>
  readonly #waiters = new Map<string, Set<Waiter>>()
  #subscriber: Redis | undefined
  #subscribed = false
  #closed = false

  constructor (opts: { channel: string, createSubscriber: () => Redis, lastSeq: (id: string) => Promise<number> }) {
    this.#channel = opts.channel
    this.#createSubscriber = opts.createSubscriber
    this.#lastSeq = opts.lastSeq
  }

  /** The subscriber connection, once the first waiter made it (for closing). */
  get subscriber (): Redis | undefined {
    return this.#subscriber
  }

  async wait (id: string, afterSeq: number, signal: AbortSignal, maxMs: number): Promise<void> {
    if (this.#closed || signal.aborted || !(maxMs > 0)) return
    await new Promise<void>((resolve) => {
      const waiters = this.#waiters.get(id) ?? new Set<Waiter>()
      this.#waiters.set(id, waiters)
      const wake = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', wake)
        waiters.delete(waiter)
        if (waiters.size === 0 && this.#waiters.get(id) === waiters) this.#waiters.delete(id)
        resolve()
      }
      const waiter: Waiter = { afterSeq, wake }
      // setTimeout fires at once for anything above 2^31-1 ms.
      const timer = setTimeout(wake, Math.min(maxMs, 2 ** 31 - 1))
      signal.addEventListener('abort', wake, { once: true })
      waiters.add(waiter)
      this.#ensureSubscriber()
      // Subscribed before this check, so an append is seen either here or as a message.
      if (this.#subscribed) this.#check(id)
    })
  }

  /** Wakes every waiter and drops the subscriber (the caller closes the connection). */
  close (): void {
    this.#closed = true
    for (const waiters of [...this.#waiters.values()]) for (const w of [...waiters]) w.wake()
  }

  #ensureSubscriber (): void {
    if (this.#subscriber !== undefined) return
    const sub = this.#createSubscriber()
    this.#subscriber = sub
    sub.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return
      const space = message.lastIndexOf(' ')
      this.#notify(message.slice(0, space), Number(message.slice(space + 1)))
    })
    // Subscribed by hand on every ready (not ioredis' autoResubscribe), to know when the gap ends.
    sub.on('ready', () => {
      sub.subscribe(this.#channel).then(() => {
        this.#subscribed = true
        for (const id of this.#waiters.keys()) this.#check(id)
      }, () => {})
    })
    sub.on('close', () => { this.#subscribed = false })
  }

  #notify (id: string, lastSeq: number): void {
    const waiters = this.#waiters.get(id)
    if (waiters === undefined) return
    for (const w of [...waiters]) if (lastSeq > w.afterSeq) w.wake()
  }

  #check (id: string): void {
    this.#lastSeq(id).then((last) => this.#notify(id, last), () => {})
  }
}
