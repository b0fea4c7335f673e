// Pending confirmations for commands whose arguments are in `confirm` (contract §6): the request is
// parked here and runs only when the same caller and user send `/confirm CODE` within the window.
// Codes are short because people type them on phones; they are safe because only an already
// authenticated caller+user can try them, and only while the request is pending.
import { randomInt, timingSafeEqual } from 'node:crypto'

export interface ConfirmationKey {
  caller: string
  /** The platform or request user; null when the caller sent none (then any request of the caller is "the same user"). */
  user: string | null
}

export interface ConfirmationStoreOptions {
  /** Wall clock in ms. */
  now?: () => number
  ttlMs?: number
  /** Pending confirmations kept per caller+user; a new one evicts the oldest. */
  maxPerKey?: number
  /** Pending confirmations kept overall; a new one evicts the oldest. */
  maxTotal?: number
}

export interface CreatedConfirmation {
  code: string
  /** RFC 3339. */
  expires_at: string
}

interface Pending<T> {
  readonly key: string
  readonly code: Buffer
  readonly expiresAt: number
  readonly value: T
}

/** No 0/O, 1/I/L: codes are read aloud and typed by hand. 31^6 ≈ 8.9e8 codes. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'
const CODE_LENGTH = 6

export class ConfirmationStore<T> {
  readonly #now: () => number
  readonly #ttlMs: number
  readonly #maxPerKey: number
  readonly #maxTotal: number
  /** Insertion order is age order, which is what eviction needs. */
  readonly #all = new Set<Pending<T>>()
  readonly #byKey = new Map<string, Array<Pending<T>>>()

  constructor (options: ConfirmationStoreOptions = {}) {
    this.#now = options.now ?? Date.now
    this.#ttlMs = options.ttlMs ?? 5 * 60_000
    this.#maxPerKey = options.maxPerKey ?? 5
    this.#maxTotal = options.maxTotal ?? 1000
  }

  /** Pending (unexpired or not yet pruned) confirmations. */
  get size (): number {
    return this.#all.size
  }

  create (key: ConfirmationKey, value: T): CreatedConfirmation {
    this.prune()
    const id = keyId(key)
    const mine = this.#byKey.get(id) ?? []
    let code: string
    do code = newCode()
    while (mine.some((p) => p.code.toString('latin1') === code))

    const pending: Pending<T> = { key: id, code: Buffer.from(code, 'latin1'), expiresAt: this.#now() + this.#ttlMs, value }
    mine.push(pending)
    this.#byKey.set(id, mine)
    this.#all.add(pending)
    while (mine.length > this.#maxPerKey) this.#remove(mine[0] as Pending<T>)
    while (this.#all.size > this.#maxTotal) this.#remove(this.#all.values().next().value as Pending<T>)
    return { code, expires_at: new Date(pending.expiresAt).toISOString() }
  }

  /** The parked value when `code` is pending for exactly this caller and user; single use. A wrong code consumes nothing. */
  take (key: ConfirmationKey, code: string): T | null {
    this.prune()
    const given = Buffer.from(code.trim().toUpperCase(), 'utf8')
    if (given.length !== CODE_LENGTH) return null
    let match: Pending<T> | null = null
    // Compare against every pending code of the key without stopping early, so timing says nothing
    // about which one (or how much of one) matched.
    for (const pending of this.#byKey.get(keyId(key)) ?? []) {
      if (timingSafeEqual(pending.code, given) && match === null) match = pending
    }
    if (match === null) return null
    this.#remove(match)
    return match.value
  }

  /** Drops expired confirmations; create and take call it, a timer may too. */
  prune (): void {
    const now = this.#now()
    for (const pending of this.#all) {
      if (now >= pending.expiresAt) this.#remove(pending)
    }
  }

  #remove (pending: Pending<T>): void {
    this.#all.delete(pending)
    const mine = this.#byKey.get(pending.key)
    if (mine === undefined) return
    // In place: create() holds this array while it evicts.
    const index = mine.indexOf(pending)
    if (index !== -1) mine.splice(index, 1)
    if (mine.length === 0) this.#byKey.delete(pending.key)
  }
}

function keyId (key: ConfirmationKey): string {
  return JSON.stringify([key.caller, key.user])
}

function newCode (): string {
  let code = ''
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]
  return code
}
