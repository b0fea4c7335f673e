// G-REPLAY-1 across restarts: the same signed delivery (same timestamp and body), and separately the
// same body `id` under a new signature, sent as a concurrent pair, then again after a graceful
// restart and after a kill -9: exactly one run each, and every duplicate is answered with the
// original run id and `Hookgate-Replayed: true`.
import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import {
  chaosConfig, cleanupGatewayProcesses, listAllRuns, postSigned, spawnRecords, startGatewayProcess, waitFor,
  type Answer, type GatewayProcess
} from '../helpers/gateway-process.ts'
import { readAudit } from '../helpers/conservation.ts'
import { acceptedRuns, expectBooksBalance, FINAL, getRun } from './util.ts'

afterEach(cleanupGatewayProcesses)

function summary (a: Answer): { status: number, id: unknown, replayed: string | null } {
  return { status: a.status, id: a.body?.id, replayed: a.headers.get('hookgate-replayed') }
}

/** Of a concurrent pair, exactly one created the run and the other was answered as its replay. */
function expectOneOriginal (pair: Answer[], what: string): string {
  const originals = pair.filter((a) => a.status === 202 && a.headers.get('hookgate-replayed') === null)
  const replays = pair.filter((a) => a.status >= 200 && a.status < 300 && a.headers.get('hookgate-replayed') === 'true')
  expect(pair.map(summary), `${what}: one original and one replay`).toHaveLength(2)
  expect({ originals: originals.length, replays: replays.length }, `${what}: ${JSON.stringify(pair.map(summary))}`).toEqual({ originals: 1, replays: 1 })
  const id = String(originals[0]!.body!.id)
  expect(replays[0]!.body?.id, `${what}: the replay names the original run`).toBe(id)
  return id
}

function expectReplayOf (a: Answer, id: string, what: string): void {
  const { status, ...rest } = summary(a)
  expect.soft({ answered: status === 200 || status === 202 ? '2xx' : status, ...rest }, `${what} (${a.text.slice(0, 300)})`).toEqual({ answered: '2xx', id, replayed: 'true' })
}

describe('replayed deliveries across restarts', () => {
  it('the same signed bytes, and the same body id, start exactly one run each, before and after a graceful restart and a kill -9', async () => {
    let gw: GatewayProcess = await startGatewayProcess(chaosConfig({ maxAge: 3600 }))
    const ts = Math.floor(Date.now() / 1000)
    // Delivery A: identical signed bytes (timestamp, body, signature).
    const bodyA = JSON.stringify({ text: `replay-a ms=300 nonce=${randomBytes(4).toString('hex')}`, user: 'rel' })
    // Delivery B: the same body (with its `id`), signed again at other timestamps.
    const key = `delivery-${randomBytes(6).toString('hex')}`
    const bodyB = JSON.stringify({ text: `replay-b ms=300 nonce=${randomBytes(4).toString('hex')}`, user: 'rel', id: key })

    const pairA = await Promise.all([postSigned(gw.url, bodyA, { ts, async: true }), postSigned(gw.url, bodyA, { ts, async: true })])
    const idA = expectOneOriginal(pairA, 'A: same signed bytes, concurrently')
    const pairB = await Promise.all([postSigned(gw.url, bodyB, { ts: ts - 1, async: true }), postSigned(gw.url, bodyB, { ts: ts - 2, async: true })])
    const idB = expectOneOriginal(pairB, 'B: same body id, two signatures, concurrently')
    expect(idB).not.toBe(idA)

    // Both finish.
    const finished = async (g: GatewayProcess): Promise<void> => {
      await waitFor(async () => {
        const s = await Promise.all([idA, idB].map(async (id) => (await getRun(g.url, id)).run?.status))
        return s.every((x) => FINAL.includes(String(x))) ? s : undefined
      }, 8000)
    }
    await finished(gw)
    /** Every later copy, with the run it must name. */
    const copies: Array<{ answer: Answer, id: string }> = []
    const replayOf = (answer: Answer, id: string, what: string): void => {
      copies.push({ answer, id })
      expectReplayOf(answer, id, what)
    }
    replayOf(await postSigned(gw.url, bodyA, { ts, async: true }), idA, 'A again, same gateway')

    // A graceful restart…
    gw.kill('SIGTERM')
    expect((await gw.exited).code).toBe(0)
    gw = await gw.restart()
    replayOf(await postSigned(gw.url, bodyA, { ts, async: true }), idA, 'A after a graceful restart')
    replayOf(await postSigned(gw.url, bodyB, { ts: Math.floor(Date.now() / 1000), async: true }), idB, 'B (new signature) after a graceful restart')
    // … and a crash.
    gw.kill('SIGKILL')
    await gw.exited
    gw = await gw.restart()
    const again = await Promise.all([
      postSigned(gw.url, bodyA, { ts, async: true }),
      postSigned(gw.url, bodyA, { ts, async: true }),
      postSigned(gw.url, bodyB, { ts: Math.floor(Date.now() / 1000) + 1, async: true })
    ])
    replayOf(again[0]!, idA, 'A after kill -9 and restart')
    replayOf(again[1]!, idA, 'A again (concurrent) after kill -9 and restart')
    replayOf(again[2]!, idB, 'B (new signature) after kill -9 and restart')

    // Exactly two runs, two acceptances, two agents.
    const listed = (await listAllRuns(gw.url)).map((r) => r.id).sort()
    expect.soft(listed, 'GET /v1/runs').toEqual([idA, idB].sort())
    expect.soft([...acceptedRuns(readAudit(gw.stateDir))].sort(), 'audit `accepted` records').toEqual([idA, idB].sort())
    expect.soft(spawnRecords(gw).map((s) => s.prompt.split(' ')[0]).sort(), 'agents started').toEqual(['replay-a', 'replay-b'])
    const runA = (await getRun(gw.url, idA)).run
    expect.soft(runA?.status, 'A ran once and succeeded').toBe('succeeded')
    const books = await expectBooksBalance(gw)
    const named = copies.filter((c) => c.answer.body?.id === c.id && c.answer.headers.get('hookgate-replayed') === 'true').length
    console.log(`G-REPLAY-1: 2 deliveries, each sent as a concurrent pair and then ${copies.length} more copies in all (same gateway, after a graceful restart, after kill -9): ` +
      `${listed.length} runs, ${spawnRecords(gw).length} agents started; ${named}/${copies.length} copies answered with the original run and Hookgate-Replayed; books ${JSON.stringify(books?.db.counts)}`)
  }, 40_000)
})
