import { it } from 'vitest'
import { buildTestGateway } from '../helpers/build-app.ts'
it('scratch', async () => {
  const gw = await buildTestGateway({ env: { FAKE_CLAUDE_MODE: 'tool' } })
  await gw.app.listen({ port: 0, host: '127.0.0.1' })
  const addr = gw.app.server.address() as { port: number }
  const { payload, headers } = gw.signed({ text: 'hello' })
  const res = await fetch(`http://127.0.0.1:${addr.port}/v1/hooks/ci`, { method: 'POST', body: payload, headers: { ...headers, accept: 'text/event-stream' } })
  console.log(res.status, [...res.headers])
  console.log(await res.text())
  await gw.close()
})
