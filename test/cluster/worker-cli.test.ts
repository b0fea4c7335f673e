// `hookgate worker` refuses what cannot work, with the reason: a config without a shared store
// (nothing would ever give it a run), and a config with problems.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { runHookgate } from '../helpers/gateway-process.ts'

function configFile (yaml: string): { dir: string, path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-worker-cli-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'hookgate.yaml')
  writeFileSync(path, yaml)
  return { dir, path }
}

const CALLERS = `
agent: { profile: demo }
commands: { run: { prompt: "{args}" } }
callers:
  ci: { scheme: hmac-sha256, secrets: ["worker-cli-secret-0123456789abcdef"], commands: [run], default_command: run }
`

describe('hookgate worker', () => {
  it('refuses a config whose store is not shared, saying what it needs', async () => {
    const { dir, path } = configFile(`state_dir: ./state\nstore: sqlite\n${CALLERS}`)
    const { code, stderr } = await runHookgate(['worker', '--config', path], dir)
    expect(code).toBe(1)
    expect(stderr).toContain('/store')
    expect(stderr).toContain('needs `store: redis://')
  })

  it('reports config problems like serve does, and `execution: workers` without Redis is one of them', async () => {
    const { dir, path } = configFile(`state_dir: ./state\nexecution: workers\n${CALLERS}`)
    const { code, stderr } = await runHookgate(['worker', '--config', path], dir)
    expect(code).toBe(1)
    expect(stderr).toMatch(/\/execution: `workers` needs `store: redis:\/\/…`/)
  })
})
