import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { VALID_CONFIG, runCli, tempDir } from './helpers.ts'


// Two independent problems: both must be reported, each with its path.
const INVALID_CONFIG = `
commands:
  run: { prompt: "{args}" }
callers:
  ci:
    scheme: hmac-sha256
    secrets: ["short"]
    commands: [run, nosuchcommand]
    default_command: run
`

// Each test gets its own directory, so the tests (child processes) run side by side.
const test = it.extend<{ dir: string }>({
  dir: async ({}, use) => {
    const { dir, cleanup } = tempDir()
    await use(dir)
    cleanup()
  }
})

function write (dir: string, name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe.concurrent('hookgate check', () => {
  test('a valid file: "✓ <path>: OK" and exit 0', async ({ dir }) => {
    const path = write(dir, 'ok.yaml', VALID_CONFIG)
    const r = await runCli(['check', '--config', path])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`✓ ${path}: OK`)
  })

  test('what the file needs from this machine: a missing agent CLI, project directory or bubblewrap is a problem, exit 1', async ({ dir }) => {
    const path = write(dir, 'host.yaml', VALID_CONFIG.replace('agent: { profile: demo }', 'agent: { profile: codex, command: hookgate-no-such-cli, sandbox: bwrap }') +
      'projects: { web: ./no-such-dir }\n')
    // A PATH with node only: neither the CLI nor bwrap can be found.
    const r = await runCli(['check', '--config', path], { env: { PATH: dirname(process.execPath) } })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^ {2}\/agent\/command: agent command "hookgate-no-such-cli" not found on PATH/m)
    expect(r.stderr).toMatch(/^ {2}\/projects\/web: project directory ".*no-such-dir" does not exist/m)
    expect(r.stderr).toMatch(/^ {2}\/agent\/sandbox: sandbox is bwrap but bwrap \(bubblewrap\) is not on PATH/m)
    expect(r.stdout).not.toContain('OK')
  })

  test('serve refuses to start when the sandbox it was told to use is missing', async ({ dir }) => {
    const path = write(dir, 'sandboxed.yaml', VALID_CONFIG.replace('agent: { profile: demo }', 'agent: { profile: demo, sandbox: bwrap }'))
    const r = await runCli(['serve', '--config', path, '--port', '0'], { env: { PATH: dirname(process.execPath) } })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/\/agent\/sandbox: sandbox is bwrap but bwrap \(bubblewrap\) is not on PATH/)
  })

  test('an invalid file: every problem with its path on stderr, exit 1', async ({ dir }) => {
    const path = write(dir, 'bad.yaml', INVALID_CONFIG)
    const r = await runCli(['check', '--config', path])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(path)
    expect(r.stderr).toMatch(/^ {2}\/callers\/ci\/secrets\/0: .*16/m)
    expect(r.stderr).toMatch(/^ {2}\/callers\/ci\/commands\/1: .*nosuchcommand/m)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  test('finds the file through $HOOKGATE_CONFIG', async ({ dir }) => {
    const good = write(dir, 'env-ok.yaml', VALID_CONFIG)
    const ok = await runCli(['check'], { env: { HOOKGATE_CONFIG: good } })
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toContain(`${good}: OK`)
    const bad = write(dir, 'env-bad.yaml', INVALID_CONFIG)
    const failed = await runCli(['check'], { env: { HOOKGATE_CONFIG: bad } })
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain('/callers/ci/secrets/0')
  })

  test('--config wins over $HOOKGATE_CONFIG, and ./hookgate.yaml is found in the working directory', async ({ dir }) => {
    const good = write(dir, 'hookgate.yaml', VALID_CONFIG)
    const bad = write(dir, 'bad.yaml', INVALID_CONFIG)
    const flag = await runCli(['check', '--config', good], { env: { HOOKGATE_CONFIG: bad } })
    expect(flag.code).toBe(0)
    const cwd = await runCli(['check'], { cwd: dir })
    expect(cwd.code).toBe(0)
    expect(cwd.stdout).toContain(`${good}: OK`)
  })

  test('no config file anywhere: says so and exits 0', async ({ dir }) => {
    const r = await runCli(['check'], { cwd: dir })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('no config file')
    expect(r.stdout).toContain('quick-start default')
  })

  test('a missing file named with --config is a problem, exit 1', async ({ dir }) => {
    const r = await runCli(['check', '--config', join(dir, 'missing.yaml')])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('no such file')
  })

  test('YAML syntax errors name the line', async ({ dir }) => {
    const path = write(dir, 'syntax.yaml', 'callers:\n  ci: [unclosed\n')
    const r = await runCli(['check', '--config', path])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/line \d+/)
  })
})
