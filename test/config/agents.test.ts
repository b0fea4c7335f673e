// Agent settings in the config: each profile's default executable, a caller's own agent (what it
// inherits and what it changes), sessions and permissions defaults, projects, and tool rules that
// are refused when they are not rules at all or when the caller's agent could not enforce them.
import { describe, expect, it } from 'vitest'
import { agentFor } from '../../src/config/caller-agent.ts'
import { load, problemsOf, withDoc } from './fixtures.ts'

describe('agent settings', () => {
  it('defaults the executable to the profile\'s own and keeps an explicit one', () => {
    for (const profile of ['claude', 'codex', 'gemini', 'opencode', 'copilot']) {
      expect(load(withDoc((d) => { d.agent = { profile } })).config.agent.command).toBe(profile)
    }
    expect(load(withDoc((d) => { d.agent = { profile: 'codex', command: '/opt/codex' } })).config.agent.command).toBe('/opt/codex')
  })

  it('defaults sessions, permissions, state, sandbox and repository trust safely', () => {
    const { config } = load(withDoc(() => {}))
    expect(config.sessions).toEqual({ idle: 1800, max_age: 14400 })
    expect(config.permissions).toEqual({ timeout: 600, max_per_run: 20 })
    expect(config.agent).toMatchObject({ state: 'per_caller', sandbox: 'none', trust_repo: false })
    expect(config.agent.idle_timeout).toBeUndefined()
    expect(config.callers.ci).toMatchObject({ sessions: true, permissions: 'ask', steer: false })
  })

  it('gives a caller its own agent: changed keys win, the rest is inherited, a new profile brings its executable', () => {
    const { config } = load(withDoc((d) => {
      d.agent = { profile: 'claude', timeout: 900, env: ['ANTHROPIC_API_KEY'], cwd: 'work' }
      d.callers.ci.agent = { profile: 'codex', args: ['-m', 'gpt-5'] }
      d.callers.app.agent = { timeout: 60, cwd: 'other' }
    }))
    expect(agentFor(config, 'ci')).toMatchObject({ profile: 'codex', command: 'codex', args: ['-m', 'gpt-5'], timeout: 900, env: ['ANTHROPIC_API_KEY'], cwd: '/etc/hookgate/work' })
    expect(agentFor(config, 'app')).toMatchObject({ profile: 'claude', command: 'claude', timeout: 60, cwd: '/etc/hookgate/other' })
    // A caller's agent block carries no defaults of its own: nothing unset is reset.
    expect(config.callers.ci?.agent).toEqual({ profile: 'codex', args: ['-m', 'gpt-5'] })
  })

  it('resolves projects against the config file and refuses a caller naming an unknown one', () => {
    const { config } = load(withDoc((d) => { d.projects = { web: 'src/web' }; d.callers.ci.projects = ['web'] }))
    expect(config.projects).toEqual({ web: '/etc/hookgate/src/web' })
    expect(problemsOf(withDoc((d) => { d.projects = { web: 'w' }; d.callers.ci.projects = ['web', 'api'] }))).toEqual([
      { path: '/callers/ci/projects/1', message: expect.stringMatching(/unknown project "api"/) }
    ])
    expect(problemsOf(withDoc((d) => { d.projects = { '../up': '/' } })).map((p) => p.path)).toContain('/projects/..~1up')
  })

  it('refuses tool rules that are not rules', () => {
    const problems = problemsOf(withDoc((d) => { d.callers.ci.tools = { allow: ['Read', 'Bash(', '(x)'] } }))
    expect(problems.map((p) => p.path)).toEqual(['/callers/ci/tools/allow/1', '/callers/ci/tools/allow/2'])
  })

  it('refuses argv for a caller whose own agent is not the command profile, and requires it for one that is', () => {
    expect(problemsOf(withDoc((d) => { d.callers.ci.agent = { profile: 'command' } }))).toEqual([
      { path: '/callers/ci/agent/argv', message: expect.stringMatching(/needs argv/) }
    ])
    expect(problemsOf(withDoc((d) => { d.callers.ci.agent = { argv: ['x', '{prompt}'] } }))).toEqual([
      { path: '/callers/ci/agent/argv', message: expect.stringMatching(/only used with profile "command"/) }
    ])
  })
})
