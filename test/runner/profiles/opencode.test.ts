import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { AgentConfig } from '../../../src/config/schema.ts'
import type { AgentEvent } from '../../../src/runner/agent-event.ts'
import { profileFor } from '../../../src/runner/profiles/index.ts'
import { opencodePermission, opencodeProfile, type OpencodePermission } from '../../../src/runner/profiles/opencode.ts'
import { ARGV_PROMPT_MAX_BYTES, type ProfileInput } from '../../../src/runner/profiles/profile.ts'
import { agentConfig, fixture, run, testDir } from '../helpers.ts'

const FAKE = fixture('agents/fake-opencode.mjs')
const input = (over: Partial<ProfileInput> = {}): ProfileInput => ({
  agent: agentConfig({ profile: 'opencode', command: 'opencode', args: ['-m', 'anthropic/claude-sonnet-4'] }),
  prompt: 'hello',
  tools: {},
  session: null,
  scratchDir: '/tmp/scratch',
  homeDir: null,
  ...over
})
const configOf = (env: Record<string, string> | undefined): Record<string, unknown> => JSON.parse(env?.OPENCODE_CONFIG_CONTENT ?? 'null') as Record<string, unknown>

/** OpenCode's documented evaluation: `*`/`?` wildcards, a trailing " *" also matches nothing, last match wins, none: ask. */
function decide (permission: OpencodePermission, name: string, pattern = '*'): string {
  const match = (text: string, glob: string): boolean => {
    let source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
    if (source.endsWith(' .*')) source = `${source.slice(0, -3)}( .*)?`
    return new RegExp(`^${source}$`, 's').test(text)
  }
  const rules = Object.entries(permission).flatMap(([key, value]) =>
    typeof value === 'string' ? [{ key, glob: '*', action: value }] : Object.entries(value).map(([glob, action]) => ({ key, glob, action })))
  return rules.findLast((r) => match(name, r.key) && match(pattern, r.glob))?.action ?? 'ask'
}

describe('opencode profile', () => {
  it('is the profile named opencode: reveals sessions, needs a report, stops after 600 s of silence, quiet start', () => {
    expect(profileFor('opencode')).toBe(opencodeProfile)
    expect(opencodeProfile).toMatchObject({ name: 'opencode', defaultCommand: 'opencode', sessions: 'reveal', reportsResult: true, defaultIdleSeconds: 600 })
    expect(opencodeProfile.env).toEqual({ OPENCODE_DISABLE_AUTOUPDATE: '1', OPENCODE_DISABLE_MODELS_FETCH: '1' })
  })
})

describe('opencode argv and environment', () => {
  it('runs `run` with the user args and JSON output; the prompt goes on stdin, never in argv', () => {
    const prompt = '-rf $(x); "quoted words" \'s\''
    const inv = opencodeProfile.invocation(input({ prompt }))
    expect(inv.argv).toEqual(['opencode', 'run', '-m', 'anthropic/claude-sonnet-4', '--format', 'json', '--pure'])
    expect(inv.input).toBe(prompt)
  })

  it('keeps a prompt of any size on stdin', () => {
    const prompt = 'é'.repeat(ARGV_PROMPT_MAX_BYTES)
    expect(opencodeProfile.invocation(input({ prompt })).input).toBe(prompt)
  })

  it('resumes with --session=<id> as one argument', () => {
    const { argv } = opencodeProfile.invocation(input({ session: { mode: 'resume', id: 'ses_e0219b231ffeoBVgsfPnhjJo3d' } }))
    expect(argv.slice(-3)).toEqual(['json', '--session=ses_e0219b231ffeoBVgsfPnhjJo3d', '--pure'])
    expect(opencodeProfile.invocation(input({ session: { mode: 'new' } })).argv).toEqual(opencodeProfile.invocation(input()).argv)
  })

  it('keeps an untrusted repository\'s config, plugins, language servers and formatters out', () => {
    const { argv, env } = opencodeProfile.invocation(input())
    expect(argv).toContain('--pure')
    expect(env).toMatchObject({ OPENCODE_DISABLE_PROJECT_CONFIG: '1', OPENCODE_DISABLE_CLAUDE_CODE: '1' })
    expect(configOf(env)).toEqual({ permission: { '*': 'ask' }, share: 'disabled', lsp: false, formatter: false })
  })

  it('lets a trusted repository configure OpenCode', () => {
    const { argv, env } = opencodeProfile.invocation(input({ agent: agentConfig({ profile: 'opencode', command: 'opencode', trust_repo: true }) }))
    expect(argv).not.toContain('--pure')
    expect(env).not.toHaveProperty('OPENCODE_DISABLE_PROJECT_CONFIG')
    expect(configOf(env)).toEqual({ permission: { '*': 'ask' }, share: 'disabled' })
  })

  it('puts sessions, auth and settings under the caller\'s home directory', () => {
    expect(opencodeProfile.invocation(input({ homeDir: '/state/agents/ci' })).env).toMatchObject({
      XDG_DATA_HOME: '/state/agents/ci/data', XDG_CONFIG_HOME: '/state/agents/ci/config', XDG_STATE_HOME: '/state/agents/ci/state', XDG_CACHE_HOME: '/state/agents/ci/cache'
    })
    expect(opencodeProfile.invocation(input()).env).not.toHaveProperty('XDG_DATA_HOME')
  })
})

describe('opencode permission config', () => {
  it('leaves everything at ask (rejected by `opencode run`) without rules', () => {
    expect(opencodePermission({})).toEqual({ '*': 'ask' })
    expect(decide(opencodePermission({}), 'bash', 'ls')).toBe('ask')
  })

  it('maps tool names onto OpenCode\'s permissions', () => {
    expect(opencodePermission({ allow: ['Read', 'Glob', 'Grep', 'LS', 'WebFetch', 'WebSearch', 'Task', 'TodoWrite', 'Write'] })).toEqual({
      '*': 'ask', read: 'allow', glob: 'allow', grep: 'allow', list: 'allow', webfetch: 'allow', websearch: 'allow', task: 'allow', todowrite: 'allow', todoread: 'allow', edit: 'allow'
    })
  })

  it('turns Bash prefixes into whole-word command patterns', () => {
    const permission = opencodePermission({ allow: ['Bash(git log:*)', 'Bash(git status)'] })
    expect(permission).toEqual({ '*': 'ask', bash: { 'git log': 'allow', 'git log *': 'allow', 'git status': 'allow' } })
    expect(decide(permission, 'bash', 'git log')).toBe('allow')
    expect(decide(permission, 'bash', 'git log --oneline -3')).toBe('allow')
    expect(decide(permission, 'bash', 'git logx')).toBe('ask')
    expect(decide(permission, 'bash', 'git status --short')).toBe('ask')
    expect(decide(permission, 'edit', 'a.ts')).toBe('ask')
  })

  it('lets a deny win over any allow', () => {
    const cases: Array<{ allow: string[], deny: string[], name: string, pattern: string }> = [
      { allow: ['Bash'], deny: ['Bash(rm:*)'], name: 'bash', pattern: 'rm -rf /' },
      { allow: ['Bash(rm:*)'], deny: ['Bash'], name: 'bash', pattern: 'rm x' },
      { allow: ['Edit'], deny: ['Write'], name: 'edit', pattern: 'a.ts' },
      { allow: ['mcp__srv', 'mcp__srv__drop'], deny: ['mcp__srv'], name: 'srv_drop', pattern: '*' },
      { allow: ['mcp__srv'], deny: ['mcp__srv__drop'], name: 'srv_drop', pattern: '*' },
      { allow: ['Read'], deny: ['Read(./secrets/**)'], name: 'read', pattern: 'README.md' }
    ]
    for (const { allow, deny, name, pattern } of cases) expect(decide(opencodePermission({ allow, deny }), name, pattern), `${allow} / ${deny}`).toBe('deny')
    const permission = opencodePermission({ allow: ['Bash', 'mcp__srv'], deny: ['Bash(rm:*)', 'mcp__srv__drop'] })
    expect(decide(permission, 'bash', 'ls -la')).toBe('allow')
    expect(decide(permission, 'srv_list', '*')).toBe('allow')
  })

  it('names the rules it cannot translate', () => {
    const problems = (tools: ProfileInput['tools']) => opencodeProfile.toolProblems?.(tools) ?? []
    expect(problems({ allow: ['Read', 'Bash(git log:*)', 'mcp__github'], deny: ['Bash(rm:*)'] })).toEqual([])
    expect(problems({ allow: ['Read(./src/**)'] })).toEqual([
      'OpenCode\'s read rules use its own path patterns, which hookgate does not translate: "Read(./src/**)" stays refused.'
    ])
    expect(problems({ deny: ['Edit(secrets/**)'] })[0]).toMatch(/denies all of edit/)
    expect(problems({ allow: ['Edit'], deny: ['Write'] })).toEqual([
      'OpenCode has one "edit" permission for Edit, MultiEdit, Write and NotebookEdit: denying Write also denies Edit.'
    ])
    expect(problems({ allow: ['Frobnicate'] })).toEqual(['OpenCode has no tool like "Frobnicate"; it stays refused.'])
  })
})

describe('opencode sessionMissing', () => {
  const stderr = readFileSync(fixture('agents/opencode/session-not-found.stderr.txt'), 'utf8')
  it('recognises the coloured "Session not found" of a failed run only', () => {
    expect(stderr).toContain('\u001b[')
    expect(opencodeProfile.sessionMissing?.({ report: null, stderrTail: stderr, exitCode: 1 })).toBe(true)
    expect(opencodeProfile.sessionMissing?.({ report: null, stderrTail: stderr, exitCode: 0 })).toBe(false)
    expect(opencodeProfile.sessionMissing?.({ report: null, stderrTail: 'Error: Unauthorized', exitCode: 1 })).toBe(false)
  })
})

describe('opencode profile with a fake opencode process', () => {

  // The fake is run directly (`#!/usr/bin/env node`): the user's args come after `run`. Its own
  // home and state directories per test keep its sessions out of the user's ~/.local/share.
  const opencode = (mode: string, agent: Partial<AgentConfig> = {}) => ({
    agent: { profile: 'opencode' as const, command: FAKE, args: [], cwd: testDir('hookgate-opencode-'), env: ['FAKE_AGENT_MODE', 'FAKE_AGENT_EXIT_CODE'], ...agent },
    env: { FAKE_AGENT_MODE: mode, HOME: testDir('hookgate-opencode-') },
    homeDir: testDir('hookgate-opencode-')
  })
  const answer = (events: AgentEvent[]): Record<string, unknown> => {
    const texts = events.flatMap((e) => (e.type === 'text' ? [e.data.text] : []))
    return JSON.parse(texts.at(-1)?.trim() ?? 'null') as Record<string, unknown>
  }
  const stderrOf = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'log' && e.data.stream === 'stderr' ? [e.data.line] : [])).join('\n')
  const toolEnd = (events: AgentEvent[]) => events.find((e) => e.type === 'tool_end')?.data

  it('runs a prompt: session, answer, success, cost and turns; the prompt arrives verbatim (no quoting)', async () => {
    const prompt = '-rf $(whoami); "two words" \'single\'\n--format default'
    const setup = opencode('ok')
    const { outcome, events } = await run({ prompt, ...setup })
    expect(events.map((e) => e.type)).toEqual(['session', 'text'])
    expect(answer(events)).toMatchObject({
      prompt, prompt_source: 'stdin', format: 'json', pure: true, auto: false, permission: { '*': 'ask' },
      config: { share: 'disabled', lsp: false, formatter: false },
      env: { OPENCODE_DISABLE_PROJECT_CONFIG: '1', OPENCODE_DISABLE_CLAUDE_CODE: '1', OPENCODE_DISABLE_MODELS_FETCH: '1', OPENCODE_DISABLE_AUTOUPDATE: '1', XDG_DATA_HOME: join(setup.homeDir, 'data') }
    })
    expect(outcome).toMatchObject({ status: 'succeeded', exit_code: 0, turns: 1, session: answer(events).session })
    expect(outcome.cost_usd).toBeCloseTo(0.0012, 10)
    expect(outcome.output).toBe(JSON.stringify(answer(events)))
  })

  it('would get a message argument back quoted, which is why the prompt goes on stdin', async () => {
    const { events } = await run({ prompt: 'from stdin', ...opencode('ok', { args: ['say "hi" now'] }) })
    expect(answer(events)).toMatchObject({ prompt: '"say \\"hi\\" now"\nfrom stdin', prompt_source: 'argv+stdin' })
  })

  it('delivers a prompt bigger than one argument could hold', async () => {
    const prompt = 'ä'.repeat(ARGV_PROMPT_MAX_BYTES)
    const { outcome, events } = await run({ prompt, ...opencode('ok') })
    expect(outcome.status).toBe('succeeded')
    expect(answer(events).prompt).toBe(prompt)
  })

  it('runs an allowed command: events in order, the rule reached OpenCode', async () => {
    const { outcome, events } = await run({ ...opencode('tool'), tools: { allow: ['Bash(echo:*)'] } })
    expect(events.map((e) => e.type)).toEqual(['session', 'text', 'tool_start', 'tool_end', 'text'])
    expect(events[2]?.data).toEqual({ tool_id: 'call_mock_1', name: 'bash', summary: 'echo hello-from-tool' })
    expect(toolEnd(events)).toEqual({ tool_id: 'call_mock_1', ok: true, summary: 'hello-from-tool' })
    expect(answer(events)).toMatchObject({ tool_decision: 'allow', permission: { '*': 'ask', bash: { echo: 'allow', 'echo *': 'allow' } } })
    expect(outcome).toMatchObject({ status: 'succeeded', turns: 2 })
  })

  it('gets a tool nobody allowed auto-rejected, as Claude -p would deny it', async () => {
    const { outcome, events } = await run({ ...opencode('tool'), tools: { allow: ['Read'] } })
    expect(toolEnd(events)).toEqual({ tool_id: 'call_mock_1', ok: false, summary: 'The user rejected permission to use this specific tool call.' })
    // The notice is coloured on stderr; the runner strips the escapes.
    expect(stderrOf(events)).toContain('! permission requested: bash (echo hello-from-tool); auto-rejecting')
    expect(answer(events)).toMatchObject({ tool_decision: 'ask' })
    expect(outcome.status).toBe('succeeded')
  })

  it('denies a command a deny rule names even when Bash is allowed', async () => {
    const { events } = await run({ ...opencode('tool'), tools: { allow: ['Bash'], deny: ['Bash(echo:*)'] } })
    expect(answer(events)).toMatchObject({ tool_decision: 'deny' })
    expect(toolEnd(events)).toMatchObject({ ok: false, summary: expect.stringMatching(/^The user has specified a rule which prevents you/) })
  })

  it('fails with the message of an error line', async () => {
    const { outcome } = await run(opencode('fail'))
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 1 })
    expect(outcome.error).toContain('Unauthorized: invalid api key')
  })

  it('fails an exit 0 that finished no step, with the stderr tail', async () => {
    const { outcome } = await run(opencode('no_result'))
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 0 })
    expect(outcome.error).toMatch(/^agent exited without a result \(exit code 0\)/)
    expect(outcome.error).toContain('Error: Unexpected error, check log file for more details')
  })

  it('fails a crash with its stderr, keeping the text it wrote', async () => {
    const { outcome, events } = await run(opencode('crash'))
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 1 })
    expect(outcome.error).toContain('fake-opencode crashed on purpose')
    expect(events.some((e) => e.type === 'text' && e.data.text === 'Working on it.')).toBe(true)
  })

  it('stops a run that writes nothing (retrying forever) at the idle limit', async () => {
    const { outcome, events } = await run(opencode('hang', { idle_timeout: 1 }))
    expect(outcome.status).toBe('timed_out')
    expect(outcome.error).toMatch(/idle/)
    expect(events.filter((e) => e.type !== 'log')).toEqual([])
  })

  it('fails like OpenCode (help, exit 1) on an option it does not know', async () => {
    const { outcome } = await run(opencode('ok', { args: ['--bogus'] }))
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 1 })
    expect(outcome.error).toContain('opencode run [message..]')
  })

  it('continues a session under the same id', async () => {
    const setup = opencode('ok')
    const first = await run({ ...setup, session: { mode: 'new' } })
    const id = first.outcome.session
    expect(id).toMatch(/^ses_[A-Za-z0-9]{26}$/)
    const second = await run({ ...setup, prompt: 'and now?', session: { mode: 'resume', id: id ?? '' } })
    expect(second.outcome).toMatchObject({ status: 'succeeded', session: id })
    expect(second.outcome.notice).toBeUndefined()
    expect(answer(second.events)).toMatchObject({ resumed: true, session: id, prompt: 'and now?' })
  })

  it('starts a fresh session when OpenCode no longer has the one to resume', async () => {
    const { outcome, events } = await run({ ...opencode('ok'), session: { mode: 'resume', id: 'ses_0000000000000000000000gone' } })
    expect(stderrOf(events)).toContain('Error: Session not found')
    expect(outcome.status).toBe('succeeded')
    expect(outcome.notice).toMatch(/no longer exists/)
    expect(outcome.session).toMatch(/^ses_/)
    expect(outcome.session).not.toBe('ses_0000000000000000000000gone')
    expect(answer(events)).toMatchObject({ resumed: false })
  })
})
