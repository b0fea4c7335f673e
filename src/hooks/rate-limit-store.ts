// The in-memory store of @fastify/rate-limit, answering with the count as it was when it counted.
// Its own LocalStore hands the plugin its live counter object, and the plugin reads it only after a
// promise resolves: when two requests of one key are counted in the same turn of the event loop, the
// first reads the second's count. With a quota of 3, the third request could read 4 and be refused,
// so a caller got 2 runs instead of 3 (seen under a burst: G-ADM-1). The counting itself (windows,
// the LRU of keys) stays the library's.
import { createRequire } from 'node:module'

type Answer = { current: number, ttl: number }
type Callback = (err: Error | null, res?: Answer) => void
/** The options a store is made with (the plugin's, or a route's for `child`). */
type StoreOptions = { continueExceeding?: boolean, exponentialBackoff?: boolean, cache?: number }

interface Store {
  incr (key: string, cb: Callback, timeWindow: number, max: number): void
  read (key: string, cb: Callback, timeWindow: number, max: number): void
  child (routeOptions: StoreOptions): Store
}

type LocalStoreClass = new (continueExceeding?: boolean, exponentialBackoff?: boolean, cache?: number) => Store
// Not in the package's types: it is loaded by path, as the plugin itself loads it.
const LocalStore = createRequire(import.meta.url)('@fastify/rate-limit/store/LocalStore.js') as LocalStoreClass

const snapshot = (cb: Callback): Callback => (err, res) => { cb(err, res === undefined ? undefined : { current: res.current, ttl: res.ttl }) }

export class SnapshotLocalStore implements Store {
  readonly #inner: Store

  /** Called by the plugin with its global options, or by `child` with a store to wrap. */
  constructor (options: StoreOptions | Store = {}) {
    this.#inner = 'incr' in options ? options : new LocalStore(options.continueExceeding, options.exponentialBackoff, options.cache)
  }

  incr (key: string, cb: Callback, timeWindow: number, max: number): void {
    this.#inner.incr(key, snapshot(cb), timeWindow, max)
  }

  read (key: string, cb: Callback, timeWindow: number, max: number): void {
    this.#inner.read(key, snapshot(cb), timeWindow, max)
  }

  child (routeOptions: StoreOptions): Store {
    return new SnapshotLocalStore(this.#inner.child(routeOptions))
  }
}
