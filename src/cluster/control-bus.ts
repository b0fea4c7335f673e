// Requests between the processes that share one Redis: "cancel this run", "steer it", "answer this
// permission question" reach the process holding the run (its agent, stdin and pending questions
// live there). Redis pub/sub, not a queue: a request nobody holds is answered by nobody, and the
// caller decides after a short timeout (the holder died or never existed). Only the holder replies.
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'

export interface ControlRequest {
  op: string
  /** The instance meant; absent: whichever holds what `args` names. */
  to?: string
  args: Record<string, unknown>
}

/** Answers a request, or returns undefined when this process does not hold what it names. */
export type ControlHandler = (args: Record<string, unknown>) => Promise<unknown> | unknown

interface Envelope {
  id: string
  from: string
  op: string
  to?: string
  args?: Record<string, unknown>
  result?: unknown
}

export interface ControlBusOptions {
  /** The connection requests are published on (never the subscriber: it may only subscribe). */
  client: Redis
  prefix: string
  instance: string
  /** Milliseconds to wait for the holder's answer. */
  timeoutMs?: number
  onError?: (error: unknown) => void
}

export class ControlBus {
  readonly #o: Required<Omit<ControlBusOptions, 'onError'>> & Pick<ControlBusOptions, 'onError'>
  readonly #sub: Redis
  readonly #handlers = new Map<string, ControlHandler>()
  readonly #waiting = new Map<string, (result: unknown) => void>()
  readonly #requests: string
  readonly #replies: string

  constructor (opts: ControlBusOptions) {
    this.#o = { timeoutMs: 1500, ...opts }
    this.#requests = `${opts.prefix}control`
    this.#replies = `${opts.prefix}control:${opts.instance}`
    // A subscribed connection can do nothing else, so it is a connection of its own. It subscribes
    // at every (re)connect: with the offline queue off, a subscribe while disconnected would fail.
    this.#sub = opts.client.duplicate()
    this.#sub.on('ready', () => { this.#sub.subscribe(this.#requests, this.#replies).catch((error: unknown) => this.#o.onError?.(error)) })
    this.#sub.on('error', (error: unknown) => this.#o.onError?.(error))
    this.#sub.on('message', (channel: string, message: string) => { void this.#received(channel, message) })
  }

  handle (op: string, handler: ControlHandler): void {
    this.#handlers.set(op, handler)
  }

  /** The holder's answer, or null when nobody answered within the timeout (or Redis is unreachable). */
  async request (req: ControlRequest): Promise<unknown> {
    const id = randomUUID()
    const envelope: Envelope = { id, from: this.#o.instance, op: req.op, args: req.args, ...(req.to !== undefined ? { to: req.to } : {}) }
    const answered = new Promise<unknown>((resolve) => {
      const timer = setTimeout(() => { this.#waiting.delete(id); resolve(null) }, this.#o.timeoutMs)
      this.#waiting.set(id, (result) => { clearTimeout(timer); this.#waiting.delete(id); resolve(result) })
    })
    try {
      await this.#o.client.publish(this.#requests, JSON.stringify(envelope))
    } catch {
      this.#waiting.get(id)?.(null)
    }
    return answered
  }

  async close (): Promise<void> {
    for (const resolve of this.#waiting.values()) resolve(null)
    this.#sub.disconnect()
  }

  async #received (channel: string, message: string): Promise<void> {
    let envelope: Envelope
    try {
      envelope = JSON.parse(message) as Envelope
    } catch {
      return
    }
    if (channel === this.#replies) {
      this.#waiting.get(envelope.id)?.(envelope.result)
      return
    }
    if (envelope.to !== undefined && envelope.to !== this.#o.instance) return
    const handler = this.#handlers.get(envelope.op)
    if (handler === undefined) return
    let result: unknown
    try {
      result = await handler(envelope.args ?? {})
    } catch (error) {
      this.#o.onError?.(error)
      return
    }
    if (result === undefined) return
    const reply: Envelope = { id: envelope.id, from: this.#o.instance, op: envelope.op, result }
    await this.#o.client.publish(`${this.#o.prefix}control:${envelope.from}`, JSON.stringify(reply)).catch((error: unknown) => this.#o.onError?.(error))
  }
}
