// What adapter tests hand to `deliver`: the real undici client (fast backoff, closed after the
// test) and a `save` that records every progress it is given.
import { expect, onTestFinished } from 'vitest'
import type { CallerConfig } from '../../src/config/schema.ts'
import { createHttpOutbound, type HttpOutboundOptions } from '../../src/delivery/http-outbound.ts'
import { DeliveryError } from '../../src/delivery/outbound.ts'
import type { DeliveryContext, DeliveryProgress } from '../../src/platforms/adapter.ts'

export function deliveryContext (callerId: string, caller: CallerConfig, deliveryId: string, outboundOpts: HttpOutboundOptions = {}): { ctx: DeliveryContext, saved: DeliveryProgress[] } {
  const http = createHttpOutbound({ backoffMs: 10, ...outboundOpts })
  onTestFinished(() => http.close())
  const saved: DeliveryProgress[] = []
  const ctx: DeliveryContext = {
    http,
    deliveryId,
    callerId,
    caller,
    save: async (progress) => { saved.push(progress) },
    now: () => Date.now()
  }
  return { ctx, saved }
}

/** The DeliveryError `promise` rejects with (the test fails if it resolves or throws anything else). */
export async function deliveryError (promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(DeliveryError)
  return error as DeliveryError
}
