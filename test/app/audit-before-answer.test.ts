// A refused webhook is answered only once its audit records are in the file. Records of requests that
// arrive together go out together, one write per event-loop turn (AuditLog.appendGrouped), so this is
// checked under concurrency, at the moment each answer is handed to the socket.
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { testGateway } from '../helpers/build-app.ts'
import { verifyDir } from '../audit/helpers.ts'

describe('audit before answer', () => {
  it('answers each of many concurrent bad signatures only after its request and rejected records are written', async () => {
    const gw = await testGateway()
    await gw.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = gw.app.server.address() as AddressInfo
    // Counted when the answer is ended, before it reaches the socket: what the file held at that moment.
    const atAnswer: Array<{ answered: number, requests: number, rejected: number }> = []
    gw.app.server.on('request', (_req, res: ServerResponse) => {
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse
      res.end = ((...args: unknown[]) => {
        const events = gw.audit().map((e) => e.event)
        atAnswer.push({ answered: atAnswer.length + 1, requests: events.filter((e) => e === 'request').length, rejected: events.filter((e) => e === 'rejected').length })
        return end(...args)
      }) as ServerResponse['end']
    })
    const { payload, headers } = gw.signed({ text: 'forged' })
    const COUNT = 48
    const answers = await Promise.all(Array.from({ length: COUNT }, async () => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/hooks/ci`, {
        method: 'POST',
        body: payload,
        headers: { ...headers, 'x-webhook-signature': `sha256=${randomBytes(32).toString('hex')}` }
      })
      return { status: res.status, body: await res.text() }
    }))
    expect(answers.map((a) => a.status)).toEqual(Array(COUNT).fill(401))
    expect(atAnswer).toHaveLength(COUNT)
    for (const seen of atAnswer) {
      expect(seen.rejected, `rejected records in the file when answer ${seen.answered} was sent`).toBeGreaterThanOrEqual(seen.answered)
      expect(seen.requests, `request records in the file when answer ${seen.answered} was sent`).toBeGreaterThanOrEqual(seen.answered)
    }
    const events = gw.audit().map((e) => e.event)
    expect(events.filter((e) => e === 'rejected')).toHaveLength(COUNT)
    expect(verifyDir(gw.stateDir)).toMatchObject({ ok: true, records: 2 * COUNT })
  })
})
