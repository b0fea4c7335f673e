import { describe, expect, it } from 'vitest'
import { runCli } from './helpers.ts'

const COMMANDS = ['serve', 'send', 'sign', 'check', 'doctor', 'openapi', 'worker']

// Each test is its own child process: run them side by side.
describe.concurrent('hookgate (dispatch)', () => {
  it('--help lists every command on stdout and exits 0', async () => {
    const r = await runCli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    for (const name of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\s`, 'm'))
  })

  it('an unknown command prints the usage on stderr and exits 2', async () => {
    const r = await runCli(['frobnicate'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('unknown command "frobnicate"')
    expect(r.stderr).toContain('Usage: hookgate <command>')
  })

  it('no command at all is a usage error', async () => {
    const r = await runCli([])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Usage: hookgate <command>')
  })

  it.each(COMMANDS)('%s --help prints that command\'s usage and exits 0', async (name) => {
    const r = await runCli([name, '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`Usage: hookgate ${name}`)
    const viaHelp = await runCli(['help', name])
    expect(viaHelp.stdout).toBe(r.stdout)
  })

  it('an unknown flag is a usage error naming the flag, without a stack trace', async () => {
    const r = await runCli(['check', '--bogus'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--bogus')
    expect(r.stderr).toContain('hookgate check --help')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('--version prints the package version', async () => {
    const r = await runCli(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^hookgate \d+\.\d+\.\d+/)
  })

  it('an unknown subcommand of audit is a usage error', async () => {
    const r = await runCli(['audit', 'frobnicate'])
    expect(r.code).toBe(2)
  })
})
