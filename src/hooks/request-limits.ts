// The rate limiters of requests that start work: per client address (counted before verification) and
// per caller (after). One set per app, shared by every route that admits work for a caller, so a run
// started from the admin console counts against the caller's `rate_limit` exactly as a webhook does.
// Limiters are kept by their settings: a reload's new limits apply at once, unchanged ones keep counting.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Gateway } from '../gateway.ts'

export type Limiter = ReturnType<FastifyInstance['createRateLimit']>
export type LimitAnswer = Awaited<ReturnType<Limiter>>

export class RequestLimits {
  readonly #create: FastifyInstance['createRateLimit']
  readonly #gateway: Gateway
  readonly #limiters = new Map<string, Limiter>()
  /** The address limiter with the settings it was made for: it runs for every request, so it is looked up once per config. */
  #address: { readonly settings: object, readonly limiter: Limiter } | null = null

  constructor (create: FastifyInstance['createRateLimit'], gateway: Gateway) {
    this.#create = create
    this.#gateway = gateway
  }

  /** The flood guard of `limits.per_address`, keyed by the client's address. */
  perAddress (request: FastifyRequest): Promise<LimitAnswer> {
    const settings = this.#gateway.config.limits.per_address
    if (this.#address?.settings !== settings) {
      this.#address = { settings, limiter: this.#limiter('address', settings.max, settings.window, addressOf) }
    }
    return this.#address.limiter(request)
  }

  /** The caller's own `rate_limit`, or undefined when it has none. */
  perCaller (id: string): Limiter | undefined {
    const limit = this.#gateway.config.callers[id]?.rate_limit
    return limit === undefined ? undefined : this.#limiter(`caller:${id}`, limit.max, limit.window, () => `caller:${id}`)
  }

  #limiter (name: string, max: number, windowS: number, key: (request: FastifyRequest) => string): Limiter {
    const id = `${name}\n${max}\n${windowS}`
    let limiter = this.#limiters.get(id)
    if (limiter === undefined) {
      limiter = this.#create({ max, timeWindow: windowS * 1000, keyGenerator: key })
      this.#limiters.set(id, limiter)
    }
    return limiter
  }
}

function addressOf (request: FastifyRequest): string {
  return request.ip
}
