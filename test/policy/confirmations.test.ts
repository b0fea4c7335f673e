import { describe, expect, it } from 'vitest'
import { ConfirmationStore } from '../../src/policy/confirmations.ts'
import { MemoryStore } from '../../src/store/memory-store.ts'

function store (options: { maxPerKey?: number, maxTotal?: number } = {}) {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0)
  const repo = new MemoryStore()
  const confirmations = new ConfirmationStore<string>(repo, { now: () => now, ...options })
  /** Pending, unexpired confirmations of everyone. */
  const size = async (): Promise<number> => countAll(repo, now)
  return { confirmations, advance: (ms: number) => { now += ms }, now: () => now, size }
}

async function countAll (repo: MemoryStore, now: number): Promise<number> {
  const owners = ['line', 'c', 'ci', 'slack'].flatMap((caller) => [null, 'U-alice', 'U-bob', 'null', 'u0', 'u1', 'u2', 'u3', 'u4'].map((user) => JSON.stringify([caller, user])))
  let n = 0
  for (const owner of owners) n += (await repo.confirmationsOf(owner, now)).length
  return n
}

const alice = { caller: 'line', user: 'U-alice' }
const bob = { caller: 'line', user: 'U-bob' }

describe('ConfirmationStore', async () => {
  it('issues 6-character codes from an unambiguous alphabet, expiring in 5 minutes', async () => {
    const { confirmations, now } = store()
    const { code, expires_at } = await confirmations.create(alice, 'deploy production')
    expect(code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{6}$/)
    expect(expires_at).toBe(new Date(now() + 5 * 60_000).toISOString())
  })

  it('returns the pending value to the same caller and user, once', async () => {
    const { confirmations } = store()
    const { code } = await confirmations.create(alice, 'deploy production')
    expect(await confirmations.take(alice, code)).toBe('deploy production')
    expect(await confirmations.take(alice, code)).toBeNull()
  })

  it('accepts the code in lower case and with spaces around it', async () => {
    const { confirmations } = store()
    const { code } = await confirmations.create(alice, 'x')
    expect(await confirmations.take(alice, ` ${code.toLowerCase()} `)).toBe('x')
  })

  it('refuses another user of the same caller, and the same user of another caller', async () => {
    const { confirmations } = store()
    const { code } = await confirmations.create(alice, 'x')
    expect(await confirmations.take(bob, code)).toBeNull()
    expect(await confirmations.take({ caller: 'slack', user: 'U-alice' }, code)).toBeNull()
    expect(await confirmations.take(alice, code)).toBe('x')
  })

  it('keeps callers without a user apart from users', async () => {
    const { confirmations } = store()
    const { code } = await confirmations.create({ caller: 'ci', user: null }, 'x')
    expect(await confirmations.take({ caller: 'ci', user: 'null' }, code)).toBeNull()
    expect(await confirmations.take({ caller: 'ci', user: null }, code)).toBe('x')
  })

  it('refuses an expired code', async () => {
    const { confirmations, advance, size } = store()
    const { code } = await confirmations.create(alice, 'x')
    advance(5 * 60_000 - 1)
    const second = await confirmations.create(alice, 'y')
    expect(await confirmations.take(alice, second.code)).toBe('y')
    advance(1)
    expect(await confirmations.take(alice, code)).toBeNull()
    expect(await size()).toBe(0)
  })

  it('does not consume the pending confirmation on a wrong code', async () => {
    const { confirmations } = store()
    const { code } = await confirmations.create(alice, 'x')
    const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'
    expect(await confirmations.take(alice, wrong)).toBeNull()
    expect(await confirmations.take(alice, '')).toBeNull()
    expect(await confirmations.take(alice, code + 'X')).toBeNull()
    expect(await confirmations.take(alice, 'ÄÄÄ')).toBeNull()
    expect(await confirmations.take(alice, code)).toBe('x')
  })

  it('evicts the oldest pending per user beyond the cap', async () => {
    const { confirmations } = store({ maxPerKey: 2 })
    const first = await confirmations.create(alice, 'first')
    const second = await confirmations.create(alice, 'second')
    const third = await confirmations.create(alice, 'third')
    const bobs = await confirmations.create(bob, 'bob')
    expect(await confirmations.take(alice, first.code)).toBeNull()
    expect(await confirmations.take(alice, second.code)).toBe('second')
    expect(await confirmations.take(alice, third.code)).toBe('third')
    expect(await confirmations.take(bob, bobs.code)).toBe('bob')
  })

  it('evicts the oldest pending overall beyond the cap', async () => {
    const { confirmations, size } = store({ maxTotal: 3 })
    const created = []
    for (let i = 0; i < 5; i++) created.push(await confirmations.create({ caller: 'c', user: `u${i}` }, `v${i}`))
    expect(await size()).toBe(3)
    expect(await confirmations.take({ caller: 'c', user: 'u0' }, created[0]!.code)).toBeNull()
    expect(await confirmations.take({ caller: 'c', user: 'u1' }, created[1]!.code)).toBeNull()
    expect(await confirmations.take({ caller: 'c', user: 'u4' }, created[4]!.code)).toBe('v4')
  })

  it('gives one user distinct codes for distinct pending requests', async () => {
    const { confirmations } = store({ maxPerKey: 50 })
    const codes = []
    for (let i = 0; i < 50; i++) codes.push((await confirmations.create(alice, `v${i}`)).code)
    expect(new Set(codes).size).toBe(50)
  })

  it('lets only one of two concurrent takers use a code', async () => {
    const { confirmations } = store()
    const { code } = await confirmations.create(alice, 'x')
    const results = await Promise.all([confirmations.take(alice, code), confirmations.take(alice, code)])
    expect(results.sort()).toEqual([null, 'x'].sort())
  })
})
