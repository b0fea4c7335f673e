// The `hookgate` entry keeps Node's compile cache under $XDG_CACHE_HOME and hands it to the process
// it starts for itself: the spawner, which would otherwise strip its modules' types at every start and
// load Node's TypeScript stripper for it (about 30 MB of a process meant to stay small).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { chaosConfig, cleanupGatewayProcesses, postSigned, startGatewayProcess, waitFor } from '../helpers/gateway-process.ts'
import { ownChildren } from '../reliability/gateway-memory.ts'

afterEach(cleanupGatewayProcesses)

const environ = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')

describe('the compile cache', () => {
  it('is kept under XDG_CACHE_HOME, and the spawner is started with it', async () => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'hookgate-xdg-'))
    onTestFinished(() => rmSync(cacheHome, { recursive: true, force: true }))
    const gw = await startGatewayProcess(chaosConfig(), { env: { XDG_CACHE_HOME: cacheHome } })
    const cache = join(cacheHome, 'hookgate', 'node-compile-cache')
    expect(environ(gw.pid)).not.toContain(`NODE_COMPILE_CACHE=${cache}`) // set inside the gateway, after it started

    const answer = await postSigned(gw.url, JSON.stringify({ text: 'ms=50' }))
    expect(answer.status, answer.text).toBe(200)
    const spawners = await waitFor(() => { const pids = ownChildren(gw); return pids.length > 0 ? pids : undefined }, 5000)
    expect(spawners).toHaveLength(1)
    const env = environ(spawners[0]!)
    expect(env).toContain(`NODE_COMPILE_CACHE=${cache}`)
    // Nothing else of the gateway's environment (agents get theirs with each launch); Node adds its IPC channel's.
    expect(env.filter((e) => e !== '' && !e.startsWith('NODE_COMPILE_CACHE=') && !e.startsWith('NODE_CHANNEL_'))).toEqual([])
    expect(readdirSync(cache).length).toBeGreaterThan(0)
  })
})
