// The README's shell examples, run as written (only the gateway's address changes), so the
// documentation cannot drift from what the gateway accepts.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startGateway } from './helpers.ts'

const README = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8')
const run = promisify(execFile)

function shellBlockContaining (needle: string): string {
  const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!)
  const block = blocks.find((b) => b.includes(needle))
  if (block === undefined) throw new Error(`README has no sh block containing ${needle}`)
  return block
}

describe('README', () => {
  it('shows the quick start: npm ci, npm start, npx hookgate send', () => {
    expect(shellBlockContaining('npm start')).toContain('npm ci')
    expect(README).toContain('npx hookgate send "list the files"')
    expect(README).toContain('npm test')
  })

  it('its curl + openssl example gets the finished run from the quick-start gateway', async () => {
    const gw = await startGateway(null)
    onTestFinished(() => gw.stop())
    const script = shellBlockContaining('openssl dgst').replaceAll('http://127.0.0.1:8787', gw.url)
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: gw.dir, timeout: 30_000 })
    const answer = JSON.parse(stdout)
    expect(answer).toMatchObject({ caller: 'local', status: 'succeeded', demo: true })
  })

  it('its GitHub Actions step signs a request the gateway accepts', async () => {
    const secret = 'gha-secret-0123456789abcdef01234567'
    const gw = await startGateway(`
callers:
  ci: { scheme: hmac-sha256, secrets: ["${secret}"], commands: [run], default_command: run }
commands:
  run: { prompt: "{args}" }
agent: { profile: demo }
`)
    onTestFinished(() => gw.stop())
    const step = /```yaml\n([\s\S]*?)```/.exec(README.slice(README.indexOf('GitHub Actions')))![1]!
    const script = step.slice(step.indexOf('run: |') + 'run: |'.length).split('\n').map((l) => l.replace(/^ {10}/, '')).join('\n')
    const github: Record<string, string> = { job: 'test', repository: 'acme/app', ref_name: 'main$(touch /tmp/hookgate-pwned)', sha: 'abc123', server_url: 'https://github.com', run_id: '42', run_attempt: '1' }
    // The step's env: block, with GitHub's expressions filled in as the runner would.
    const envBlock = step.slice(step.indexOf('env:'), step.indexOf('run: |'))
    const stepEnv = Object.fromEntries([...envBlock.matchAll(/^ {10}([A-Z_]+): (.+)$/gm)]
      .filter((m) => !m[2]!.includes('secrets.'))
      .map((m) => [m[1]!, m[2]!.replace(/\$\{\{ github\.(\w+) \}\}/g, (_x, k: string) => github[k] ?? '')]))
    // Nothing from GitHub is spliced into the script itself (a branch name can contain $(…)).
    expect(script).not.toMatch(/\$\{\{/)
    expect(Object.keys(stepEnv)).toEqual(['JOB', 'REPO', 'REF', 'SHA', 'RUN_URL', 'RUN_KEY'])
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
      env: { PATH: process.env.PATH ?? '', HOOKGATE_URL: gw.url, HOOKGATE_SECRET: secret, ...stepEnv },
      timeout: 30_000
    })
    const answer = JSON.parse(stdout)
    expect(answer.caller).toBe('ci')
    expect(['queued', 'running', 'succeeded']).toContain(answer.status)
  })
})
