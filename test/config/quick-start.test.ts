import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.ts'
import { findOnPath } from '../../src/config/find-on-path.ts'
import { quickStartConfig, readLocalSecret, resolveConfigPath } from '../../src/config/quick-start.ts'
import { configWarnings } from '../../src/config/warnings.ts'

let dir = ''
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'hookgate-qs-')) })
afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

const noClaude = (): null => null

function fakeExecutable (binDir: string, name: string, mode = 0o755): string {
  mkdirSync(binDir, { recursive: true })
  const file = join(binDir, name)
  writeFileSync(file, '#!/bin/sh\necho fake\n')
  chmodSync(file, mode)
  return file
}

describe('quickStartConfig', () => {
  it('generates the local secret once, 0600 in a 0700 directory, and reuses it', () => {
    const stateDir = join(dir, 'nested', '.hookgate')
    const first = quickStartConfig({ stateDir, env: {}, findOnPath: noClaude })
    const file = join(stateDir, 'local.secret')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(stateDir).mode & 0o777).toBe(0o700)
    const secret = first.callers.local?.secrets[0]
    expect(secret).toMatch(/^[0-9a-f]{64}$/)
    expect(readFileSync(file, 'utf8').trim()).toBe(secret)

    const second = quickStartConfig({ stateDir, env: {}, findOnPath: noClaude })
    expect(second.callers.local?.secrets).toEqual([secret])
    expect(readLocalSecret(stateDir)).toBe(secret)
  })

  it('describes one local caller on 127.0.0.1:8787 with command run as the default', () => {
    const config = quickStartConfig({ stateDir: join(dir, 's'), env: {}, findOnPath: noClaude, cwd: '/srv/project' })
    expect(config.source).toBeNull()
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8787 })
    expect(config.state_dir).toBe(join(dir, 's'))
    expect(config.agent.cwd).toBe('/srv/project')
    expect(Object.keys(config.callers)).toEqual(['local'])
    expect(config.callers.local).toMatchObject({ scheme: 'hmac-sha256', commands: ['run'], default_command: 'run', max_age: 300 })
    expect(config.commands.run?.prompt).toBe('{args}')
    expect(config.limits.concurrency).toBe(2)
    expect(Object.isFrozen(config.callers.local)).toBe(true)
  })

  it('uses the demo agent when claude is not on PATH', () => {
    const emptyBin = join(dir, 'bin')
    mkdirSync(emptyBin)
    const config = quickStartConfig({ stateDir: join(dir, 's'), env: { PATH: emptyBin } })
    expect(config.agent.profile).toBe('demo')
    expect(config.demo).toBe(true)
    expect(configWarnings(config).map((w) => w.path)).toEqual(['/agent/profile'])
  })

  it('uses claude when an executable claude is on PATH', () => {
    const bin = join(dir, 'bin')
    const claude = fakeExecutable(bin, 'claude')
    const config = quickStartConfig({ stateDir: join(dir, 's'), env: { PATH: `/nonexistent:${bin}` } })
    expect(config.agent.profile).toBe('claude')
    expect(config.agent.command).toBe(claude)
    expect(config.demo).toBe(false)
    expect(configWarnings(config)).toEqual([])
  })
})

describe('readLocalSecret', () => {
  it('explains how to create a missing secret', () => {
    expect(() => readLocalSecret(dir)).toThrow(ConfigError)
    expect(() => readLocalSecret(dir)).toThrow(/not found: start `hookgate serve`/)
  })

  it('refuses a secret file that other users can read', () => {
    const file = join(dir, 'local.secret')
    writeFileSync(file, 'a'.repeat(64), { mode: 0o644 })
    chmodSync(file, 0o644)
    expect(() => readLocalSecret(dir)).toThrow(/chmod 600/)
  })

  it('refuses a truncated secret', () => {
    writeFileSync(join(dir, 'local.secret'), 'abc\n', { mode: 0o600 })
    expect(() => readLocalSecret(dir)).toThrow(/not a usable secret/)
  })
})

describe('findOnPath', () => {
  it('finds executable files only, in PATH order, skipping relative entries', () => {
    const a = join(dir, 'a')
    const b = join(dir, 'b')
    fakeExecutable(a, 'tool', 0o644)
    const inB = fakeExecutable(b, 'tool')
    mkdirSync(join(b, 'dir-named-tool'))
    expect(findOnPath('tool', `${a}:${b}`)).toBe(inB)
    expect(findOnPath('dir-named-tool', b)).toBeNull()
    expect(findOnPath('tool', 'relative/bin:.:')).toBeNull()
    expect(findOnPath('tool', undefined)).toBeNull()
    expect(findOnPath('../b/tool', a)).toBeNull()
  })
})

describe('resolveConfigPath', () => {
  it('prefers --config, then $HOOKGATE_CONFIG, then ./hookgate.yaml, else null', () => {
    expect(resolveConfigPath(undefined, {}, dir)).toBeNull()
    writeFileSync(join(dir, 'hookgate.yaml'), 'callers: {}\n')
    expect(resolveConfigPath(undefined, {}, dir)).toBe(join(dir, 'hookgate.yaml'))
    expect(resolveConfigPath(undefined, { HOOKGATE_CONFIG: 'env.yaml' }, dir)).toBe(join(dir, 'env.yaml'))
    expect(resolveConfigPath('flag.yaml', { HOOKGATE_CONFIG: 'env.yaml' }, dir)).toBe(join(dir, 'flag.yaml'))
    expect(resolveConfigPath('/abs/flag.yaml', {}, dir)).toBe('/abs/flag.yaml')
    expect(resolveConfigPath(undefined, { HOOKGATE_CONFIG: '' }, dir)).toBe(join(dir, 'hookgate.yaml'))
  })
})
