// The spawner's messages to the gateway leave once per turn of its event loop, as one batch, in the
// order they were made.
import { describe, expect, it } from 'vitest'
import { Outbox } from '../../../src/runner/spawner/outbox.ts'
import type { SpawnerEvent } from '../../../src/runner/spawner/protocol.ts'

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('Outbox', () => {
  it('sends the events of one turn as one batch, in order, after that turn', async () => {
    const batches: SpawnerEvent[][] = []
    const outbox = new Outbox((batch) => batches.push(batch))
    outbox.push({ t: 'started', id: 1, pid: 100 })
    outbox.push({ t: 'out', id: 1, stream: 'stdout', chunk: Buffer.from('ok') })
    outbox.push({ t: 'eof', id: 1, stream: 'stdout' })
    expect(batches).toEqual([])
    await nextTurn()
    expect(batches).toEqual([[
      { t: 'started', id: 1, pid: 100 },
      { t: 'out', id: 1, stream: 'stdout', chunk: Buffer.from('ok') },
      { t: 'eof', id: 1, stream: 'stdout' }
    ]])
  })

  it('sends a later turn\'s events as a batch of their own, and nothing when there is nothing', async () => {
    const batches: SpawnerEvent[][] = []
    const outbox = new Outbox((batch) => batches.push(batch))
    outbox.push({ t: 'eof', id: 1, stream: 'stderr' })
    await nextTurn()
    await nextTurn()
    outbox.push({ t: 'exit', id: 1, code: 0, signal: null })
    await nextTurn()
    outbox.flush()
    expect(batches).toEqual([[{ t: 'eof', id: 1, stream: 'stderr' }], [{ t: 'exit', id: 1, code: 0, signal: null }]])
  })

  it('sends what is queued at once on flush, and not again on the next turn', async () => {
    const batches: SpawnerEvent[][] = []
    const outbox = new Outbox((batch) => batches.push(batch))
    outbox.push({ t: 'stdin-closed', id: 2 })
    outbox.flush()
    expect(batches).toEqual([[{ t: 'stdin-closed', id: 2 }]])
    await nextTurn()
    expect(batches).toHaveLength(1)
  })
})
