import { describe, expect, it } from 'vitest'
import type { AgentConfig } from '../../../src/config/schema.ts'
import type { AgentEvent, AgentOutcome } from '../../../src/runner/agent-event.ts'
import { copilotProfile } from '../../../src/runner/profiles/copilot.ts'
import { profileFor } from '../../../src/runner/profiles/index.ts'
import { ARGV_PROMPT_MAX_BYTES, type ProfileInput } from '../../../src/runner/profiles/profile.ts'
import { agentConfig, fixture, run, testDir } from '../helpers.ts'

const TRICKY = '-rf $(touch x); `id` "double" \'single\' --yolo\nsecond line'
const BASE = ['--output-format', 'json', '--no-auto-update', '--no-color', '--no-ask-user']

function input (overrides: Partial<ProfileInput> = {}, agent: Partial<AgentConfig> = {}): ProfileInput {
  return {
    agent: agentConfig({ profile: 'copilot', command: 'copilot', args: ['--model', 'gpt-5'], ...agent }),
    prompt: 'hello',
    tools: {},
    session: null,
    scratchDir: '/scratch/run-1',
    homeDir: null,
    ...overrides
  }
}

describe('copilot profile: argv', () => {
  it('puts the user\'s args first, then its own flags, then the prompt as ONE --prompt= argument', () => {
    expect(copilotProfile.invocation(input({ prompt: TRICKY }))).toEqual({
      argv: ['copilot', '--model', 'gpt-5', ...BASE, '--no-custom-instructions', `--prompt=${TRICKY}`]
    })
  })

  it('pipes a prompt too big for argv on stdin, with no -p at all', () => {
    const prompt = 'é'.repeat(ARGV_PROMPT_MAX_BYTES / 2 + 1)
    expect(copilotProfile.invocation(input({ prompt }))).toEqual({
      argv: ['copilot', '--model', 'gpt-5', ...BASE, '--no-custom-instructions'],
      input: prompt
    })
  })

  it('starts a new session under the id it was given and resumes one with --resume=<id>', () => {
    const id = '0d9c7a4e-5f0b-4b8e-9a59-3f1c2e7d8a61'
    expect(copilotProfile.invocation(input({ session: { mode: 'new', id } })).argv).toEqual(
      ['copilot', '--model', 'gpt-5', ...BASE, '--session-id', id, '--no-custom-instructions', '--prompt=hello'])
    expect(copilotProfile.invocation(input({ session: { mode: 'resume', id } })).argv).toEqual(
      ['copilot', '--model', 'gpt-5', ...BASE, `--resume=${id}`, '--no-custom-instructions', '--prompt=hello'])
    const oneShot = copilotProfile.invocation(input()).argv
    expect(oneShot.some((a) => a.startsWith('--resume') || a === '--session-id')).toBe(false)
  })

  it('maps tool rules onto --allow-tool, --deny-tool and --excluded-tools, one value each', () => {
    const { argv } = copilotProfile.invocation(input({
      tools: {
        allow: ['Bash(git log:*)', 'Edit', 'Write', 'WebFetch(domain:example.com)', 'mcp__github__get_issue', 'Read', 'Glob'],
        deny: ['Bash(git push)', 'Read', 'Grep', 'Task', 'mcp__jira']
      }
    }))
    expect(argv.slice(BASE.length + 4)).toEqual([
      '--allow-tool=shell(git log:*)',
      '--allow-tool=write',
      '--allow-tool=url(example.com)',
      '--allow-tool=github(get_issue)',
      '--deny-tool=shell(git push)',
      '--deny-tool=read',
      '--deny-tool=jira',
      '--excluded-tools=grep,rg,task',
      '--prompt=hello'
    ])
  })

  it('trusts the repository\'s configuration only with trust_repo', () => {
    expect(copilotProfile.invocation(input({}, { trust_repo: true })).argv).toEqual(['copilot', '--model', 'gpt-5', ...BASE, '--trust-folder', '--prompt=hello'])
    expect(copilotProfile.invocation(input()).argv).not.toContain('--trust-folder')
  })

  it('moves the agent\'s state into the caller\'s home directory', () => {
    expect(copilotProfile.invocation(input({ homeDir: '/state/agents/alice' })).env).toEqual({ COPILOT_HOME: '/state/agents/alice' })
    expect(copilotProfile.invocation(input()).env).toBeUndefined()
  })

  it('never grants every tool, path or URL, whatever the rules', () => {
    for (const tools of [{}, { allow: ['Bash', 'Edit', 'WebFetch'] }, { deny: ['Bash'] }]) {
      for (const trust_repo of [true, false]) {
        const { argv } = copilotProfile.invocation(input({ tools }, { args: [], trust_repo }))
        expect(argv.filter((a) => /^--(allow-all|yolo|allow-all-tools|allow-all-paths|allow-all-urls)$/.test(a))).toEqual([])
      }
    }
  })

  it('turns self-updates off and is found under its name', () => {
    expect(copilotProfile.env).toEqual({ COPILOT_AUTO_UPDATE: 'false' })
    expect(profileFor('copilot')).toBe(copilotProfile)
    expect(copilotProfile).toMatchObject({ sessions: 'choose', reportsResult: true, defaultIdleSeconds: 0, defaultCommand: 'copilot' })
  })
})

describe('copilot profile: tool rules it cannot enforce', () => {
  const problems = (tools: ProfileInput['tools']): string[] => copilotProfile.toolProblems?.(tools) ?? ['toolProblems missing']

  it('accepts bare tools, shell prefixes, exact denies, domains and MCP tools', () => {
    expect(problems({
      allow: ['Read', 'Glob', 'Grep', 'LS', 'Edit', 'Write', 'WebFetch', 'WebFetch(domain:api.example.com)', 'WebSearch', 'Task', 'TodoWrite', 'Bash(npm test:*)', 'mcp__github'],
      deny: ['Bash', 'Bash(git push)', 'NotebookEdit', 'Glob', 'WebSearch', 'TodoWrite', 'mcp__jira__delete']
    })).toEqual([])
  })

  it('names each rule it cannot express', () => {
    const found = problems({
      allow: ['Frobnicate', 'Bash(git push)', 'Write(src/**)'],
      deny: ['Bash(npm run *)', 'Bash(echo a,b:*)', 'LS', 'WebFetch(https://example.com)', 'mcp__shell']
    })
    expect(found).toHaveLength(8)
    const text = found.join('\n')
    expect(text).toMatch(/"Frobnicate".*no counterpart/)
    expect(text).toMatch(/"Bash\(git push\)".*any further arguments.*Bash\(git push:\*\)/)
    expect(text).toMatch(/"Write\(src\/\*\*\)".*path patterns/)
    expect(text).toMatch(/"Bash\(npm run \*\)".*trailing ":\*"/)
    expect(text).toMatch(/"Bash\(echo a,b:\*\)".*cannot contain ","/)
    expect(text).toMatch(/"LS".*file viewer/)
    expect(text).toMatch(/"WebFetch\(https:\/\/example.com\)".*domain:/)
    expect(text).toMatch(/"mcp__shell".*permission kind/)
  })

  it('refuses to start a run whose rules it cannot enforce, instead of dropping them', () => {
    expect(() => copilotProfile.invocation(input({ tools: { deny: ['LS'] } }))).toThrow(/cannot enforce/)
  })
})

describe('copilot profile: a missing session', () => {
  const missing = copilotProfile.sessionMissing ?? (() => false)
  const report = { ok: true, output: '', session: 'x', cost_usd: null, turns: null }

  it('is the "No session, task, or name matched" error without any result', () => {
    expect(missing({ report: null, exitCode: 1, stderrTail: "Error: No session, task, or name matched 'abc'.\n" })).toBe(true)
  })

  it('is nothing else', () => {
    expect(missing({ report: null, exitCode: 1, stderrTail: 'Error: No authentication information found.\n' })).toBe(false)
    expect(missing({ report, exitCode: 0, stderrTail: "No session, task, or name matched 'abc'.\n" })).toBe(false)
  })
})

// ---- real processes: the runner with the spawner launcher and fake-copilot.mjs ----


function copilot (mode: string, opts: Parameters<typeof run>[0] = {}): Promise<Awaited<ReturnType<typeof run>>> {
  return run({
    homeDir: testDir('hookgate-copilot-test-'),
    ...opts,
    agent: { profile: 'copilot', command: process.execPath, args: [fixture('agents/fake-copilot.mjs')], env: ['FAKE_AGENT_MODE'], ...opts.agent },
    env: { FAKE_AGENT_MODE: mode, ...opts.env }
  })
}

interface Echo {
  prompt: string
  prompt_source: string
  argv: string[]
  allow_tools: string[]
  deny_tools: string[]
  excluded_tools: string[]
  flags: string[]
  env: Record<string, string | null>
  session: { id: string, resumed: boolean, turns: number }
}
function echoOf (outcome: AgentOutcome): Echo {
  const at = outcome.output.indexOf('\nECHO ')
  if (at === -1) throw new Error(`no echo in ${JSON.stringify(outcome.output.slice(0, 300))}`)
  return JSON.parse(outcome.output.slice(at + 6)) as Echo
}
const toolEnds = (events: AgentEvent[]): Array<{ ok: boolean, summary?: string }> =>
  events.flatMap((e) => (e.type === 'tool_end' ? [{ ok: e.data.ok, ...(e.data.summary === undefined ? {} : { summary: e.data.summary }) }] : []))

describe('copilot profile with the fake CLI', () => {
  it('streams text, then the session at the end, and succeeds with the prompt received verbatim', async () => {
    const homeDir = testDir('hookgate-copilot-test-')
    const { outcome, events } = await copilot('ok', { prompt: TRICKY, homeDir })
    expect(outcome).toMatchObject({ status: 'succeeded', exit_code: 0, error: null })
    expect(events.at(-1)?.type).toBe('session')
    expect(events.slice(0, -1).every((e) => e.type === 'text')).toBe(true)
    const echo = echoOf(outcome)
    expect(echo.prompt).toBe(TRICKY)
    expect(echo.prompt_source).toBe('argv')
    expect(echo.argv.at(-1)).toBe(`--prompt=${TRICKY}`)
    expect(echo.flags).toEqual(['no-ask-user', 'no-auto-update', 'no-color', 'no-custom-instructions'])
    expect(echo.env).toMatchObject({ COPILOT_HOME: homeDir, COPILOT_AUTO_UPDATE: 'false' })
    expect(outcome.session).toBe(echo.session.id)
    expect(events.at(-1)).toEqual({ type: 'session', data: { session: echo.session.id } })
  })

  it('pipes a prompt too big for argv on stdin, intact', async () => {
    const prompt = `-${'ü'.repeat(ARGV_PROMPT_MAX_BYTES / 2)}$(x)`
    const { outcome } = await copilot('ok', { prompt })
    expect(outcome.status).toBe('succeeded')
    const echo = echoOf(outcome)
    expect(echo.prompt_source).toBe('stdin')
    expect(echo.prompt).toBe(prompt)
  })

  it('reports tool calls; unasked, a read-only command runs and writes are denied, and the run still succeeds', async () => {
    const { outcome, events } = await copilot('tool')
    expect(outcome).toMatchObject({ status: 'succeeded', exit_code: 0 })
    expect(events.filter((e) => e.type === 'tool_start').map((e) => e.type === 'tool_start' && e.data.summary)).toEqual(['git log --oneline -3', 'touch notes.txt', 'notes.md'])
    expect(toolEnds(events)).toEqual([
      { ok: true, summary: 'abc123 fix' },
      { ok: false, summary: expect.stringMatching(/^denied: Permission denied because no interactive user response/) },
      { ok: false, summary: expect.stringMatching(/^denied: /) }
    ])
    // Each tool_start comes after the text announcing it and before its tool_end.
    const order = events.map((e) => e.type).filter((t) => t !== 'text')
    expect(order).toEqual(['tool_start', 'tool_end', 'tool_start', 'tool_end', 'tool_start', 'tool_end', 'session'])
    expect(outcome.output.startsWith('Done.\nECHO ')).toBe(true)
    expect(outcome.turns).toBe(4)
  })

  it('lets commands and writes run that an allow rule covers', async () => {
    const { outcome, events } = await copilot('tool', { tools: { allow: ['Bash(touch:*)', 'Write'] } })
    expect(toolEnds(events).map((t) => t.ok)).toEqual([true, true, true])
    expect(echoOf(outcome).allow_tools).toEqual(['shell(touch:*)', 'write'])
  })

  it('enforces deny rules over allow rules, and hides denied tools that have no permission kind', async () => {
    const { outcome, events } = await copilot('tool', { tools: { allow: ['Bash', 'Write'], deny: ['Bash(git log:*)', 'Task'] } })
    expect(toolEnds(events).map((t) => t.ok)).toEqual([false, true, true])
    expect(toolEnds(events)[0]?.summary).toMatch(/^denied: .*--deny-tool/)
    const echo = echoOf(outcome)
    expect(echo.deny_tools).toEqual(['shell(git log:*)'])
    expect(echo.excluded_tools).toEqual(['task'])
  })

  it('fails with the error Copilot reported before its result', async () => {
    const { outcome, events } = await copilot('fail')
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 1 })
    expect(outcome.error).toMatch(/agent reported an error: Failed to get response from the AI model/)
    expect(events.map((e) => e.type)).toEqual(['log', 'session'])
  })

  it('fails with the stderr tail when the CLI exits without its result line (auth error)', async () => {
    const { outcome } = await copilot('auth_error')
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 1, session: null })
    expect(outcome.error).toMatch(/^agent exited without a result \(exit code 1\); stderr/)
    expect(outcome.error).toContain('No authentication information found')
  })

  it('fails when the stream stops without a result, and on a crash', async () => {
    const quiet = await copilot('no_result')
    expect(quiet.outcome).toMatchObject({ status: 'failed', exit_code: 0, session: null })
    const crash = await copilot('crash')
    expect(crash.outcome).toMatchObject({ status: 'failed', exit_code: 1 })
    expect(crash.outcome.error).toContain('write EPIPE')
  })

  it('keeps the chosen session id and continues it when resumed', async () => {
    const homeDir = testDir('hookgate-copilot-test-')
    const id = 'b3e1f1c2-7d44-4d8e-8e0f-2f7b9c1a5d36'
    const first = await copilot('ok', { homeDir, session: { mode: 'new', id } })
    expect(first.outcome).toMatchObject({ status: 'succeeded', session: id })
    const second = await copilot('ok', { homeDir, session: { mode: 'resume', id } })
    expect(second.outcome).toMatchObject({ status: 'succeeded', session: id })
    expect(echoOf(second.outcome).session).toEqual({ id, resumed: true, turns: 2 })
    expect(echoOf(second.outcome).argv).toContain(`--resume=${id}`)
  })

  it('continues, not refuses, a --session-id that already exists', async () => {
    const homeDir = testDir('hookgate-copilot-test-')
    const id = '5a0e4c1b-9f2d-4e3a-8b7c-6d5e4f3a2b1c'
    await copilot('ok', { homeDir, session: { mode: 'new', id } })
    const again = await copilot('ok', { homeDir, session: { mode: 'new', id } })
    expect(again.outcome).toMatchObject({ status: 'succeeded', session: id })
    expect(echoOf(again.outcome).session.resumed).toBe(true)
  })

  it('starts a fresh session when the one to resume is gone, and says so', async () => {
    const missing = '9e8d7c6b-5a49-4382-9176-5a4b3c2d1e0f'
    const { outcome, events } = await copilot('ok', { session: { mode: 'resume', id: missing } })
    expect(outcome.status).toBe('succeeded')
    expect(outcome.notice).toMatch(/no longer exists/)
    expect(outcome.session).not.toBe(missing)
    expect(echoOf(outcome).argv).toContain('--session-id')
    expect(events.some((e) => e.type === 'log' && e.data.line.includes('No session, task, or name matched'))).toBe(true)
  })

  it('passes --trust-folder only with trust_repo', async () => {
    const { outcome } = await copilot('ok', { agent: { trust_repo: true } })
    expect(echoOf(outcome).flags).toEqual(['no-ask-user', 'no-auto-update', 'no-color', 'trust-folder'])
  })

  it('fails like the real CLI on an option it does not know', async () => {
    const { outcome } = await copilot('ok', { agent: { args: [fixture('agents/fake-copilot.mjs'), '--bogus'] } })
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 2 })
    expect(outcome.error).toContain("unexpected argument '--bogus' found")
  })
})
