import { describe, expect, it } from 'vitest'
import { ConfirmationStore } from '../../src/policy/confirmations.ts'

function store (options: { maxPerKey?: number, maxTotal?: number } = {}) {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const confirmations = new ConfirmationStore<string>({ now: () => now, ...options })
  return { confirmations, advance: (ms: number) => { now += ms }, now: () => now }
}

const alice = { caller: 'line', user: 'U-alice' }
const bob = { caller: 'line', user: 'U-bob' }

describe('ConfirmationStore', () => {
  it('issues 6-character codes from an unambiguous alphabet, expiring in 5 minutes', () => {
    const { confirmations, now } = store()
    const { code, expires_at } = confirmations.create(alice, 'deploy production')
    expect(code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{6}$/)
    expect(expires_at).toBe(new Date(now() + 5 * 60_000).toISOString())
  })

  it('returns the pending value to the same caller and user, once', () => {
    const { confirmations } = store()
    const { code } = confirmations.create(alice, 'deploy production')
    expect(confirmations.take(alice, code)).toBe('deploy production')
    expect(confirmations.take(alice, code)).toBeNull()
  })

  it('accepts the code in lower case and with spaces around it', () => {
    const { confirmations } = store()
    const { code } = confirmations.create(alice, 'x')
    expect(confirmations.take(alice, ` ${code.toLowerCase()} `)).toBe('x')
  })

  it('refuses another user of the same caller, and the same user of another caller', () => {
    const { confirmations } = store()
    const { code } = confirmations.create(alice, 'x')
    expect(confirmations.take(bob, code)).toBeNull()
    expect(confirmations.take({ caller: 'slack', user: 'U-alice' }, code)).toBeNull()
    expect(confirmations.take(alice, code)).toBe('x')
  })

  it('keeps callers without a user apart from users', () => {
    const { confirmations } = store()
    const { code } = confirmations.create({ caller: 'ci', user: null }, 'x')
    expect(confirmations.take({ caller: 'ci', user: 'null' }, code)).toBeNull()
    expect(confirmations.take({ caller: 'ci', user: null }, code)).toBe('x')
  })

  it('refuses an expired code', () => {
    const { confirmations, advance } = store()
    const { code } = confirmations.create(alice, 'x')
    advance(5 * 60_000 - 1)
    const second = confirmations.create(alice, 'y')
    expect(confirmations.take(alice, second.code)).toBe('y')
    advance(1)
    expect(confirmations.take(alice, code)).toBeNull()
    expect(confirmations.size).toBe(0)
  })

  it('does not consume the pending confirmation on a wrong code', () => {
    const { confirmations } = store()
    const { code } = confirmations.create(alice, 'x')
    const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'
    expect(confirmations.take(alice, wrong)).toBeNull()
    expect(confirmations.take(alice, '')).toBeNull()
    expect(confirmations.take(alice, code + 'X')).toBeNull()
    expect(confirmations.take(alice, 'ÄÄÄ')).toBeNull()
    expect(confirmations.take(alice, code)).toBe('x')
  })

  it('evicts the oldest pending per user beyond the cap', () => {
    const { confirmations } = store({ maxPerKey: 2 })
    const first = confirmations.create(alice, 'first')
    const second = confirmations.create(alice, 'second')
    const third = confirmations.create(alice, 'third')
    const bobs = confirmations.create(bob, 'bob')
    expect(confirmations.take(alice, first.code)).toBeNull()
    expect(confirmations.take(alice, second.code)).toBe('second')
    expect(confirmations.take(alice, third.code)).toBe('third')
    expect(confirmations.take(bob, bobs.code)).toBe('bob')
  })

  it('evicts the oldest pending overall beyond the cap', () => {
    const { confirmations } = store({ maxTotal: 3 })
    const created = Array.from({ length: 5 }, (_, i) => confirmations.create({ caller: 'c', user: `u${i}` }, `v${i}`))
    expect(confirmations.size).toBe(3)
    expect(confirmations.take({ caller: 'c', user: 'u0' }, created[0]!.code)).toBeNull()
    expect(confirmations.take({ caller: 'c', user: 'u1' }, created[1]!.code)).toBeNull()
    expect(confirmations.take({ caller: 'c', user: 'u4' }, created[4]!.code)).toBe('v4')
  })

  it('gives one user distinct codes for distinct pending requests', () => {
    const { confirmations } = store({ maxPerKey: 50 })
    const codes = Array.from({ length: 50 }, (_, i) => confirmations.create(alice, `v${i}`).code)
    expect(new Set(codes).size).toBe(50)
  })

  it('prunes expired entries', () => {
    const { confirmations, advance } = store()
    confirmations.create(alice, 'x')
    confirmations.create(bob, 'y')
    advance(5 * 60_000)
    confirmations.prune()
    expect(confirmations.size).toBe(0)
  })
})
