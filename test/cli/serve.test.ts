import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { VALID_CONFIG, runCli, startGateway, tempDir } from './helpers.ts'

let dir = ''
let cleanup = (): void => {}
beforeEach(() => { ({ dir, cleanup } = tempDir()) })
afterEach(() => cleanup())


describe('hookgate serve', () => {
  it('an invalid config: each problem with its path on stderr, exit 1, nothing listening', async () => {
    const path = join(dir, 'bad.yaml')
    writeFileSync(path, 'callers:\n  ci:\n    scheme: hmac-sha256\n    secrets: ["short"]\n')
    const r = await runCli(['serve', '--config', path, '--port', '0'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(path)
    expect(r.stderr).toMatch(/^ {2}\/callers\/ci\/secrets\/0: /m)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('prints the URL it listens on and serves the OpenAPI document `hookgate openapi` prints; a second gateway on the same port exits 1 saying so', async () => {
    const gateway = await startGateway(VALID_CONFIG)
    try {
      expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const health = await fetch(`${gateway.url}/healthz`)
      expect(health.status).toBe(200)
      // `hookgate openapi` prints what the running gateway serves.
      const served = await (await fetch(`${gateway.url}/openapi.json`)).json()
      const printed = await runCli(['openapi'])
      expect(JSON.parse(printed.stdout)).toEqual(served)
      const port = new URL(gateway.url).port
      writeFileSync(join(dir, 'hookgate.yaml'), VALID_CONFIG)
      const second = await runCli(['serve', '--port', port], { cwd: dir })
      expect(second.code).toBe(1)
      expect(second.stderr).toContain('address is in use')
    } finally {
      await gateway.stop()
    }
  })

  it('refuses a second gateway on the same state directory, naming the one that has it, and leaves it running', async () => {
    const gateway = await startGateway(VALID_CONFIG)
    try {
      const second = await runCli(['serve', '--config', join(gateway.dir, 'hookgate.yaml'), '--port', '0'], { cwd: gateway.dir })
      expect(second.code).toBe(1)
      expect(second.stderr).toMatch(/another hookgate \(pid \d+\) is using state directory/)
      expect(second.stderr).not.toMatch(/\n\s+at /)
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200)
    } finally {
      await gateway.stop()
    }
  })

  it.each([['--port', 'eighty'], ['--port', '70000']])('%s %s is a usage error', async (flag, value) => {
    const r = await runCli(['serve', flag, value])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--port')
  })
})
