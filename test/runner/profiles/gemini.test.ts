import { mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { AgentConfig } from '../../../src/config/schema.ts'
import type { AgentEvent, AgentOutcome } from '../../../src/runner/agent-event.ts'
import { geminiProfile } from '../../../src/runner/profiles/gemini.ts'
import { profileFor } from '../../../src/runner/profiles/index.ts'
import { ARGV_PROMPT_MAX_BYTES, type ProfileInput } from '../../../src/runner/profiles/profile.ts'
import { agentConfig, fixture, run, testDir } from '../helpers.ts'

const TRICKY = '-rf $(touch x); `id` "double" \'single\' --yolo\nsecond line'
const BASE = ['--output-format', 'stream-json', '--approval-mode', 'default']
const CONTAINED = ['--extensions', 'none', '--allowed-mcp-server-names', '']

function input (overrides: Partial<ProfileInput> = {}, agent: Partial<AgentConfig> = {}): ProfileInput {
  return {
    agent: agentConfig({ profile: 'gemini', command: 'gemini', args: ['--model', 'gemini-2.5-pro'], ...agent }),
    prompt: 'hello',
    tools: {},
    session: null,
    scratchDir: '/scratch/run-1',
    homeDir: null,
    ...overrides
  }
}

describe('gemini profile: argv', () => {
  it('puts the user\'s args first, then its own flags, then the prompt as ONE --prompt= argument', () => {
    expect(geminiProfile.invocation(input({ prompt: TRICKY }))).toEqual({
      argv: ['gemini', '--model', 'gemini-2.5-pro', ...BASE, ...CONTAINED, `--prompt=${TRICKY}`],
      env: { GEMINI_CLI_TRUST_WORKSPACE: 'false', GEMINI_TRUST_WORKSPACE: 'false' }
    })
  })

  it('sends a prompt too big for argv on stdin, with no --prompt at all', () => {
    const prompt = 'é'.repeat(ARGV_PROMPT_MAX_BYTES / 2 + 1)
    const inv = geminiProfile.invocation(input({ prompt }))
    expect(inv.input).toBe(prompt)
    expect(inv.argv).toEqual(['gemini', '--model', 'gemini-2.5-pro', ...BASE, ...CONTAINED])
  })

  it('starts a new session under the id it was given and resumes one by id', () => {
    const id = '0d9c7a4e-5f0b-4b8e-9a59-3f1c2e7d8a61'
    expect(geminiProfile.invocation(input({ session: { mode: 'new', id } })).argv).toEqual(
      ['gemini', '--model', 'gemini-2.5-pro', ...BASE, '--session-id', id, ...CONTAINED, '--prompt=hello'])
    expect(geminiProfile.invocation(input({ session: { mode: 'resume', id } })).argv).toEqual(
      ['gemini', '--model', 'gemini-2.5-pro', ...BASE, '--resume', id, ...CONTAINED, '--prompt=hello'])
    const oneShot = geminiProfile.invocation(input()).argv
    expect(oneShot).not.toContain('--session-id')
    expect(oneShot).not.toContain('--resume')
  })

  it('writes tool rules as a policy file in the scratch directory, denies above allows', () => {
    const inv = geminiProfile.invocation(input({ tools: { allow: ['Bash(git log:*)', 'Edit'], deny: ['Bash(git push)', 'Read', 'mcp__github'] } }))
    expect(inv.argv.slice(-3)).toEqual(['--policy', '/scratch/run-1/hookgate-policy.toml', '--prompt=hello'])
    expect(inv.files).toEqual({
      'hookgate-policy.toml': [
        '# Tool rules for one hookgate run; deny rules outrank allow rules.',
        '',
        '[[rule]]', 'toolName = "run_shell_command"', 'commandRegex = "git\\\\ push\\""', 'decision = "deny"', 'priority = 999',
        '',
        '[[rule]]', 'toolName = ["read_file", "read_many_files", "glob", "grep_search", "search_file_content", "list_directory"]', 'decision = "deny"', 'priority = 999',
        '',
        '[[rule]]', 'mcpName = "github"', 'decision = "deny"', 'priority = 999',
        '',
        '[[rule]]', 'toolName = "run_shell_command"', 'commandPrefix = "git log"', 'decision = "allow"', 'priority = 500',
        '',
        '[[rule]]', 'toolName = ["replace", "write_file"]', 'decision = "allow"', 'priority = 500',
        ''
      ].join('\n')
    })
  })

  it('writes no policy file and no --policy without rules', () => {
    const inv = geminiProfile.invocation(input({ tools: { allow: [], deny: [] } }))
    expect(inv.files).toBeUndefined()
    expect(inv.argv).not.toContain('--policy')
  })

  it('trusts the repository only with trust_repo, and never passes --skip-trust otherwise', () => {
    const trusted = geminiProfile.invocation(input({}, { trust_repo: true }))
    expect(trusted.argv).toEqual(['gemini', '--model', 'gemini-2.5-pro', ...BASE, '--skip-trust', '--prompt=hello'])
    expect(trusted.env).toBeUndefined()
    const contained = geminiProfile.invocation(input())
    expect(contained.argv).not.toContain('--skip-trust')
    expect(contained.env).toEqual({ GEMINI_CLI_TRUST_WORKSPACE: 'false', GEMINI_TRUST_WORKSPACE: 'false' })
  })

  it('moves the agent\'s state into the caller\'s home directory', () => {
    expect(geminiProfile.invocation(input({ homeDir: '/state/agents/alice' }, { trust_repo: true })).env).toEqual({ GEMINI_CLI_HOME: '/state/agents/alice' })
  })

  it('never asks for yolo or auto-approval, whatever the rules', () => {
    for (const tools of [{}, { allow: ['Bash', 'Edit', 'Write'] }, { deny: ['Bash'] }]) {
      for (const trust_repo of [true, false]) {
        const { argv } = geminiProfile.invocation(input({ tools }, { args: [], trust_repo }))
        expect(argv.filter((a) => /yolo|^-y$|auto_edit/.test(a))).toEqual([])
        expect(argv[argv.indexOf('--approval-mode') + 1]).toBe('default')
      }
    }
  })

  it('keeps a quiet, single-process environment', () => {
    expect(geminiProfile.env).toEqual({ GEMINI_CLI_NO_RELAUNCH: 'true', NO_BROWSER: 'true' })
    expect(profileFor('gemini')).toBe(geminiProfile)
    expect(geminiProfile).toMatchObject({ sessions: 'choose', reportsResult: true, defaultIdleSeconds: 0, defaultCommand: 'gemini' })
  })
})

describe('gemini profile: tool rules it cannot enforce', () => {
  const problems = (tools: ProfileInput['tools']): string[] => geminiProfile.toolProblems?.(tools) ?? ['toolProblems missing']

  it('accepts bare tools, shell prefixes and exact commands, and MCP servers', () => {
    expect(problems({ allow: ['Read', 'Glob', 'Grep', 'LS', 'Edit', 'Write', 'WebFetch', 'WebSearch', 'TodoWrite', 'Task', 'Bash(npm test:*)', 'Bash(git status)', 'mcp__github__create_issue'], deny: ['Bash', 'NotebookEdit', 'mcp__jira'] })).toEqual([])
  })

  it('names each rule it cannot express', () => {
    const found = problems({
      allow: ['Frobnicate', 'Read(./src/**)', 'WebFetch(domain:example.com)'],
      deny: ['Bash(npm run *)', 'Task', 'mcp__my_server', 'Bash(:*)']
    })
    expect(found).toHaveLength(7)
    expect(found.join('\n')).toMatch(/"Bash\(npm run \*\)".*"\*" inside a command/)
    expect(found.join('\n')).toMatch(/"Task".*subagent/)
    expect(found.join('\n')).toMatch(/"mcp__my_server".*contains "_"/)
    expect(found.join('\n')).toMatch(/"Bash\(:\*\)" has an empty command/)
    expect(found.join('\n')).toMatch(/"Frobnicate".*no counterpart/)
    expect(found.join('\n')).toMatch(/"Read\(\.\/src\/\*\*\)".*specifier/)
    expect(found.join('\n')).toMatch(/"WebFetch\(domain:example.com\)".*specifier/)
  })

  it('refuses to start a run whose rules it cannot enforce, instead of dropping them', () => {
    expect(() => geminiProfile.invocation(input({ tools: { deny: ['Bash(rm *)'] } }))).toThrow(/cannot enforce/)
  })

  it('refuses text a TOML file cannot hold', () => {
    expect(problems({ deny: ['Bash(echo \ud800:*)'] })).toEqual([expect.stringMatching(/lone surrogate/)])
  })
})

describe('gemini profile: a missing session', () => {
  const missing = geminiProfile.sessionMissing ?? (() => false)

  it('is "Error resuming session" with exit 42', () => {
    expect(missing({ report: null, exitCode: 42, stderrTail: 'Error resuming session: Invalid session identifier "x". Use --list-sessions to see available sessions.\n' })).toBe(true)
  })

  it('is nothing else', () => {
    expect(missing({ report: null, exitCode: 41, stderrTail: 'Please set an Auth method\n' })).toBe(false)
    expect(missing({ report: null, exitCode: 1, stderrTail: 'Error resuming session: boom\n' })).toBe(false)
    expect(missing({ report: null, exitCode: 42, stderrTail: 'No input provided via stdin.\n' })).toBe(false)
  })
})

// ---- real processes: the runner with the spawner launcher and fake-gemini.mjs ----


function gemini (mode: string, opts: Parameters<typeof run>[0] = {}): Promise<Awaited<ReturnType<typeof run>>> {
  return run({
    homeDir: testDir('hookgate-gemini-test-'),
    ...opts,
    agent: { profile: 'gemini', command: process.execPath, args: [fixture('agents/fake-gemini.mjs')], env: ['FAKE_AGENT_MODE'], ...opts.agent },
    env: { FAKE_AGENT_MODE: mode, ...opts.env }
  })
}

interface Echo {
  prompt: string
  prompt_source: string
  argv: string[]
  policy: string[]
  flags: { skip_trust: boolean, extensions: string[] | null, allowed_mcp_server_names: string[] | null, approval_mode: string | null, yolo: boolean }
  env: Record<string, string | null>
  session: { id: string, resumed: boolean, turns: number }
}
function echoOf (outcome: AgentOutcome): Echo {
  const at = outcome.output.indexOf('\nECHO ')
  if (at === -1) throw new Error(`no echo in ${JSON.stringify(outcome.output.slice(0, 300))}`)
  return JSON.parse(outcome.output.slice(at + 6)) as Echo
}
interface ToolStep { type: string, name?: string, ok?: boolean, summary?: string }
const tools = (events: AgentEvent[]): ToolStep[] =>
  events.flatMap((e): ToolStep[] => e.type === 'tool_start'
    ? [{ type: e.type, name: e.data.name, summary: e.data.summary }]
    : e.type === 'tool_end' ? [{ type: e.type, ok: e.data.ok, ...(e.data.summary === undefined ? {} : { summary: e.data.summary }) }] : [])

describe('gemini profile with the fake CLI', () => {
  it('streams session, then text, and succeeds with the prompt received verbatim as one argument', async () => {
    const homeDir = testDir('hookgate-gemini-test-')
    const { outcome, events } = await gemini('ok', { prompt: TRICKY, homeDir })
    expect(outcome).toMatchObject({ status: 'succeeded', exit_code: 0, error: null })
    expect(events[0]?.type).toBe('session')
    expect(events.slice(1).every((e) => e.type === 'text')).toBe(true)
    expect(outcome.output.startsWith(`Received ${TRICKY.length} characters.`)).toBe(true)
    const echo = echoOf(outcome)
    expect(echo.prompt).toBe(TRICKY)
    expect(echo.prompt_source).toBe('argv')
    expect(echo.argv.at(-1)).toBe(`--prompt=${TRICKY}`)
    expect(echo.flags).toEqual({ skip_trust: false, extensions: ['none'], allowed_mcp_server_names: [''], approval_mode: 'default', yolo: false })
    expect(echo.env).toMatchObject({ GEMINI_CLI_HOME: homeDir, GEMINI_CLI_TRUST_WORKSPACE: 'false', GEMINI_CLI_NO_RELAUNCH: 'true', NO_BROWSER: 'true' })
    expect(outcome.session).toBe(echo.session.id)
    expect(events[0]).toEqual({ type: 'session', data: { session: echo.session.id, model: 'gemini-2.5-pro' } })
  })

  it('delivers a prompt too big for argv on stdin, intact', async () => {
    const prompt = `-${'ü'.repeat(ARGV_PROMPT_MAX_BYTES / 2)}$(x)`
    const { outcome } = await gemini('ok', { prompt })
    expect(outcome.status).toBe('succeeded')
    const echo = echoOf(outcome)
    expect(echo.prompt_source).toBe('stdin')
    expect(echo.prompt).toBe(prompt)
    expect(echo.argv.some((a) => a.startsWith('--prompt'))).toBe(false)
  })

  it('reports tool calls in order; without an allow rule headless Gemini refuses the shell', async () => {
    const { outcome, events } = await gemini('tool')
    expect(outcome.status).toBe('succeeded')
    expect(events.map((e) => e.type)).toEqual(['log', 'session', 'text', 'tool_start', 'tool_end', 'tool_start', 'tool_end', 'log', 'text', 'text', 'text', 'text'])
    expect(events[0]).toEqual({ type: 'log', data: { stream: 'stdout', line: 'Loaded cached credentials.' } })
    expect(tools(events)).toEqual([
      { type: 'tool_start', name: 'run_shell_command', summary: 'git log --oneline -3' },
      { type: 'tool_end', ok: false, summary: 'Tool "run_shell_command" requires user confirmation, which is not supported in non-interactive mode.' },
      { type: 'tool_start', name: 'read_file', summary: '/nonexistent/NOTES.md' },
      { type: 'tool_end', ok: false, summary: 'File not found: /nonexistent/NOTES.md' }
    ])
    expect(outcome.output.startsWith('Let me look at the log.\n\nDone looking.')).toBe(true)
  })

  it('lets the shell run when an allow rule covers it, through the policy file', async () => {
    const { outcome, events } = await gemini('tool', { tools: { allow: ['Bash(git log:*)'] } })
    expect(tools(events)[1]).toEqual({ type: 'tool_end', ok: true, summary: 'abc123 fix' })
    expect(echoOf(outcome).policy[0]).toContain('commandPrefix = "git log"')
  })

  it('enforces deny rules over allow rules, for the shell and for reads', async () => {
    const { events } = await gemini('tool', { tools: { allow: ['Bash'], deny: ['Bash(git log:*)', 'Read'] } })
    expect(tools(events).filter((t) => t.type === 'tool_end')).toEqual([
      { type: 'tool_end', ok: false, summary: 'Tool execution denied by policy.' },
      { type: 'tool_end', ok: false, summary: 'Tool execution denied by policy.' }
    ])
  })

  it('fails with the error Gemini reported in its result', async () => {
    const { outcome } = await gemini('fail')
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 53 })
    expect(outcome.error).toMatch(/agent reported an error: FatalTurnLimitedError: Reached max session turns/)
  })

  it('fails with the stderr tail when the CLI exits before its stream (auth error)', async () => {
    const { outcome, events } = await gemini('auth_error')
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 41, session: null })
    expect(outcome.error).toMatch(/^agent exited without a result \(exit code 41\); stderr/)
    expect(outcome.error).toContain('Please set an Auth method')
    expect(events.every((e) => e.type === 'log' && e.data.stream === 'stderr')).toBe(true)
  })

  it('fails when the stream stops without a result, and on a crash', async () => {
    const quiet = await gemini('no_result')
    expect(quiet.outcome).toMatchObject({ status: 'failed', exit_code: 0 })
    expect(quiet.outcome.error).toMatch(/exited without a result \(exit code 0\)/)
    const crash = await gemini('crash')
    expect(crash.outcome).toMatchObject({ status: 'failed', exit_code: 1 })
    expect(crash.outcome.error).toContain("TypeError: Cannot read properties of undefined (reading 'parts')")
  })

  it('stops a hanging CLI at the timeout', async () => {
    const { outcome } = await gemini('hang', { agent: { timeout: 1, kill_grace: 1 } })
    expect(outcome.status).toBe('timed_out')
  })

  it('keeps the chosen session id and continues it when resumed', async () => {
    const homeDir = testDir('hookgate-gemini-test-')
    const id = 'b3e1f1c2-7d44-4d8e-8e0f-2f7b9c1a5d36'
    const first = await gemini('ok', { homeDir, session: { mode: 'new', id } })
    expect(first.outcome).toMatchObject({ status: 'succeeded', session: id })
    const second = await gemini('ok', { homeDir, session: { mode: 'resume', id } })
    expect(second.outcome).toMatchObject({ status: 'succeeded', session: id })
    expect(echoOf(second.outcome).session).toEqual({ id, resumed: true, turns: 2 })
    expect(echoOf(second.outcome).argv).toContain('--resume')
  })

  it('refuses --session-id for an id that already exists', async () => {
    const homeDir = testDir('hookgate-gemini-test-')
    const id = '5a0e4c1b-9f2d-4e3a-8b7c-6d5e4f3a2b1c'
    await gemini('ok', { homeDir, session: { mode: 'new', id } })
    const again = await gemini('ok', { homeDir, session: { mode: 'new', id } })
    expect(again.outcome).toMatchObject({ status: 'failed', exit_code: 42 })
    expect(again.outcome.error).toContain('already exists')
  })

  it('starts a fresh session when the one to resume is gone, and says so', async () => {
    const missing = '9e8d7c6b-5a49-4382-9176-5a4b3c2d1e0f'
    const { outcome, events } = await gemini('ok', { session: { mode: 'resume', id: missing } })
    expect(outcome.status).toBe('succeeded')
    expect(outcome.notice).toMatch(/no longer exists/)
    expect(outcome.session).not.toBe(missing)
    expect(outcome.session).toBe(echoOf(outcome).session.id)
    expect(events.some((e) => e.type === 'log' && e.data.line.includes('Error resuming session'))).toBe(true)
  })

  it('under folder trust, an untrusted repository makes the run fail, even with the trust variable passed through', async () => {
    const homeDir = testDir('hookgate-gemini-test-')
    mkdirSync(join(homeDir, '.gemini'))
    writeFileSync(join(homeDir, '.gemini', 'settings.json'), JSON.stringify({ security: { folderTrust: { enabled: true } } }))
    const refused = await gemini('ok', { homeDir, agent: { env: ['FAKE_AGENT_MODE', 'GEMINI_CLI_TRUST_WORKSPACE'] }, env: { GEMINI_CLI_TRUST_WORKSPACE: 'true' } })
    expect(refused.outcome).toMatchObject({ status: 'failed', exit_code: 55 })
    expect(refused.outcome.error).toContain('not running in a trusted directory')
    const trusted = await gemini('ok', { homeDir, agent: { trust_repo: true } })
    expect(trusted.outcome.status).toBe('succeeded')
    expect(echoOf(trusted.outcome).flags).toMatchObject({ skip_trust: true, extensions: null, allowed_mcp_server_names: null })
  })

  it('runs in a folder the agent\'s own home trusts', async () => {
    const homeDir = testDir('hookgate-gemini-test-')
    const cwd = testDir('hookgate-gemini-test-')
    mkdirSync(join(homeDir, '.gemini'))
    writeFileSync(join(homeDir, '.gemini', 'settings.json'), JSON.stringify({ security: { folderTrust: { enabled: true } } }))
    writeFileSync(join(homeDir, '.gemini', 'trustedFolders.json'), JSON.stringify({ [realpathSync(cwd)]: 'TRUST_FOLDER' }))
    const { outcome } = await gemini('ok', { homeDir, agent: { cwd } })
    expect(outcome.status).toBe('succeeded')
  })

  it('fails like the real CLI on an option it does not know', async () => {
    const { outcome } = await gemini('ok', { agent: { args: [fixture('agents/fake-gemini.mjs'), '--bogus'] } })
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 1 })
    expect(outcome.error).toContain('Unknown argument: bogus')
  })
})
