// Starting each contender as a real process on a loopback port, timed from spawn to ready.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SERVE_NODE_FLAGS } from '../../src/cli/serve-node-flags.ts'
import { CALLER, hookgateYaml, secretOf } from './hookgate-config.ts'
import type { ProcessSet, Started } from './processes.ts'
import { freePort, waitReady, type ReadyProbe } from './ready.ts'
import { WEBHOOK, webhookHooks } from './webhook-hooks.ts'

export type ContenderName = 'hookgate' | 'bare-fastify' | 'bare-fastify-spawn' | 'bare-node-spawn' | 'webhook'

export interface Server {
  name: ContenderName
  /** `http://127.0.0.1:port` */
  url: string
  pid: number
  /** Milliseconds from spawn to the first ready answer. */
  readyMs: number
  process: Started
  stop: () => Promise<void>
}

export interface StartOptions {
  /** hookgate's entry point (default: bin/hookgate.js of this checkout). */
  hookgateBin?: string
  /** Extra Node flags for hookgate (e.g. --cpu-prof). */
  nodeArgs?: string[]
}

export const HOOKGATE_BIN = fileURLToPath(new URL('../../bin/hookgate.js', import.meta.url))
const contender = (file: string): string => fileURLToPath(new URL(`../contenders/${file}`, import.meta.url))

// Servers see no more of the bench's environment than a service would.
const ENV = (): Record<string, string> => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' })

export async function startServer (name: ContenderName, procs: ProcessSet, opts: StartOptions = {}): Promise<Server> {
  const dir = procs.tempDir(name)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let file: string
  let args: string[]
  let probe: ReadyProbe = { path: '/' }
  switch (name) {
    case 'hookgate': {
      const config = join(dir, 'hookgate.yaml')
      writeFileSync(config, hookgateYaml(join(dir, 'state')))
      file = process.execPath
      // Started as a deployment starts it (src/cli/serve-node-flags.ts); --profile adds its own flags.
      args = [...SERVE_NODE_FLAGS, ...(opts.nodeArgs ?? []), opts.hookgateBin ?? HOOKGATE_BIN, 'serve', '--config', config, '--port', String(port)]
      probe = { path: '/readyz', status: 200 }
      break
    }
    case 'webhook': {
      const hooks = join(dir, 'hooks.json')
      writeFileSync(hooks, webhookHooks(secretOf(CALLER.printf)))
      file = WEBHOOK
      args = ['-hooks', hooks, '-ip', '127.0.0.1', '-port', String(port)]
      break
    }
    default:
      file = process.execPath
      args = [contender(`${name}.ts`), '--port', String(port)]
  }
  const since = performance.now()
  const started = procs.spawn(file, args, { cwd: dir, env: ENV(), logFile: join(dir, 'server.log') })
  try {
    const readyMs = await waitReady(url, probe, started, since)
    return { name, url, pid: started.pid, readyMs, process: started, stop: async () => { await started.stop() } }
  } catch (error) {
    await started.stop({ signal: 'SIGKILL' })
    throw new Error(`${name}: ${(error as Error).message}`)
  }
}
