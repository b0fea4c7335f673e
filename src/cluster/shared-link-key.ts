// Run links signed by one replica must open on every other, so with a shared store their key lives
// in Redis (created once, by whichever process comes first) rather than in one state directory.
import { randomBytes } from 'node:crypto'
import type { SharedStore } from '../store/shared-store.ts'
import { StoreUnavailableError } from '../store/run-store.ts'

export async function sharedLinkKey (store: SharedStore): Promise<Buffer> {
  const key = `${store.prefix}link-key`
  try {
    await store.client.set(key, randomBytes(32).toString('hex'), 'NX')
    const hex = await store.client.get(key)
    if (hex === null || !/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${key} holds no usable key: delete it to have a new one made`)
    return Buffer.from(hex, 'hex')
  } catch (error) {
    throw new StoreUnavailableError(`cannot read the shared run-link key: ${(error as Error).message}`)
  }
}

/** Waits for the store's connection, reporting every few seconds; false when `ms` passes first. */
export async function waitForStore (store: SharedStore, ms: number, onWaiting: () => void): Promise<boolean> {
  const deadline = Date.now() + ms
  let nextReport = Date.now() + 2000
  while (Date.now() < deadline) {
    if (store.client.status === 'ready') return true
    if (Date.now() >= nextReport) {
      onWaiting()
      nextReport = Date.now() + 5000
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return store.client.status === 'ready'
}
