import { describe, expect, it } from 'vitest'
import { buildAgentEnv } from '../../src/runner/agent-env.ts'
import { fixture, run } from './helpers.ts'

describe('buildAgentEnv', () => {
  const source = { PATH: '/bin', HOME: '/home/h', LANG: 'C.UTF-8', SECRET: 's3cr3t', ANTHROPIC_API_KEY: 'k', USER: 'u', TERM: 'xterm' }

  it('passes only the base names, the fixed values and the allowlist', () => {
    expect(buildAgentEnv(source, ['ANTHROPIC_API_KEY', 'MISSING'])).toEqual({
      PATH: '/bin', HOME: '/home/h', LANG: 'C.UTF-8', ANTHROPIC_API_KEY: 'k', TERM: 'dumb', NO_COLOR: '1'
    })
  })

  it('skips base names absent from the source', () => {
    expect(buildAgentEnv({ PATH: '/bin' }, [])).toEqual({ PATH: '/bin', TERM: 'dumb', NO_COLOR: '1' })
  })

  it('adds a profile\'s extra variables last, and fixed values win over the allowlist', () => {
    expect(buildAgentEnv(source, ['TERM'], { DISABLE_AUTOUPDATER: '1' })).toEqual({
      PATH: '/bin', HOME: '/home/h', LANG: 'C.UTF-8', TERM: 'dumb', NO_COLOR: '1', DISABLE_AUTOUPDATER: '1'
    })
  })

  it('reads only own variables of the source', () => {
    const inherited = Object.create({ INHERITED: 'x' }) as NodeJS.ProcessEnv
    expect(buildAgentEnv(inherited, ['INHERITED', 'constructor', 'toString'])).toEqual({ TERM: 'dumb', NO_COLOR: '1' })
  })

  it('keeps a variable named __proto__ a plain variable', () => {
    const env = buildAgentEnv(JSON.parse('{"__proto__":"p"}') as NodeJS.ProcessEnv, ['__proto__'])
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(env, '__proto__')?.value).toBe('p')
  })
})

describe('agent environment, end to end', () => {
  const envAgent = { profile: 'command' as const, argv: [process.execPath, fixture('env-agent.mjs')] }

  it('shows the agent only the allowed variables, never a secret of the gateway', async () => {
    const { outcome } = await run({
      agent: { ...envAgent, env: ['ALLOWED_ONE'] },
      env: { ALLOWED_ONE: 'visible', HOOKGATE_SECRET: 'never-show-this', LANG: 'C.UTF-8' }
    })
    expect(outcome.status).toBe('succeeded')
    const seen = JSON.parse(outcome.output) as Record<string, string>
    expect(Object.keys(seen).sort()).toEqual(['ALLOWED_ONE', 'HOME', 'LANG', 'NO_COLOR', 'PATH', 'TERM'].filter((k) => k !== 'HOME' || process.env.HOME !== undefined))
    expect(seen).toMatchObject({ ALLOWED_ONE: 'visible', TERM: 'dumb', NO_COLOR: '1' })
    expect(outcome.output).not.toContain('never-show-this')
  })

  it('adds the quieting variables for the claude profile', async () => {
    const { outcome } = await run({ agent: { profile: 'claude', command: process.execPath, args: [fixture('env-agent.mjs')] } })
    expect(outcome.status).toBe('succeeded')
    const seen = JSON.parse(outcome.output) as Record<string, string>
    expect(seen).toMatchObject({ DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', TERM: 'dumb' })
  })
})
