// Pending confirmations for commands whose arguments are in `confirm`: the request is
// parked in the store (so a restart does not lose it) and runs only when the same caller and user
// send `/confirm CODE` within the window.
// Codes are short because people type them on phones; they are safe because only an already
// authenticated caller+user can try them, and only while the request is pending.
import { randomInt, timingSafeEqual } from 'node:crypto'
import type { RunStore } from '../store/run-store.ts'

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

/** No 0/O, 1/I/L: codes are read aloud and typed by hand. 31^6 ≈ 8.9e8 codes. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'
const CODE_LENGTH = 6

export type ConfirmationRepository = Pick<RunStore, 'addConfirmation' | 'confirmationsOf' | 'deleteConfirmation'>

export class ConfirmationStore<T> {
  readonly #repo: ConfirmationRepository
  readonly #now: () => number
  readonly #ttlMs: number
  readonly #bounds: { perOwner: number, total: number }

  constructor (repo: ConfirmationRepository, options: ConfirmationStoreOptions = {}) {
    this.#repo = repo
    this.#now = options.now ?? Date.now
    this.#ttlMs = options.ttlMs ?? 5 * 60_000
    this.#bounds = { perOwner: options.maxPerKey ?? 5, total: options.maxTotal ?? 1000 }
  }

  async create (key: ConfirmationKey, value: T): Promise<CreatedConfirmation> {
    const owner = ownerOf(key)
    const now = this.#now()
    const taken = new Set((await this.#repo.confirmationsOf(owner, now)).map((c) => c.code))
    let code: string
    do code = newCode()
    while (taken.has(code))
    const expiresAt = now + this.#ttlMs
    await this.#repo.addConfirmation({ owner, code, expiresAt, value }, this.#bounds)
    return { code, expires_at: new Date(expiresAt).toISOString() }
  }

  /** The parked value when `code` is pending for exactly this caller and user; single use. A wrong code consumes nothing. */
  async take (key: ConfirmationKey, code: string): Promise<T | null> {
    const given = Buffer.from(code.trim().toUpperCase(), 'utf8')
    if (given.length !== CODE_LENGTH) return null
    let match: number | null = null
    let value: unknown = null
    // Compare against every pending code of the key without stopping early, so timing says nothing
    // about which one (or how much of one) matched.
    for (const pending of await this.#repo.confirmationsOf(ownerOf(key), this.#now())) {
      const candidate = Buffer.from(pending.code, 'latin1')
      if (candidate.length === given.length && timingSafeEqual(candidate, given) && match === null) {
        match = pending.id
        value = pending.value
      }
    }
    // The store's delete decides between two concurrent takers: only one removes it.
    if (match === null || !(await this.#repo.deleteConfirmation(match))) return null
    return value as T
  }
}

function ownerOf (key: ConfirmationKey): string {
  return JSON.stringify([key.caller, key.user])
}

function newCode (): string {
  let code = ''
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]
  return code
}
