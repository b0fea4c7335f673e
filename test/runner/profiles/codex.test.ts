import { describe, expect, it } from 'vitest'
import type { AgentConfig } from '../../../src/config/schema.ts'
import type { AgentEvent } from '../../../src/runner/agent-event.ts'
import { codexProfile, codexSandbox } from '../../../src/runner/profiles/codex.ts'
import { profileFor } from '../../../src/runner/profiles/index.ts'
import { ARGV_PROMPT_MAX_BYTES, type ProfileInput } from '../../../src/runner/profiles/profile.ts'
import { agentConfig, fixture, run, testDir } from '../helpers.ts'

const FAKE = fixture('agents/fake-codex.mjs')
const FLAGS = ['--color', 'never', '--sandbox', 'read-only']
const GLOBAL = ['--json', '--skip-git-repo-check', '--ignore-rules']
const input = (over: Partial<ProfileInput> = {}): ProfileInput => ({
  agent: agentConfig({ profile: 'codex', command: 'codex', args: ['-m', 'gpt-5'] }),
  prompt: 'hello',
  tools: {},
  session: null,
  scratchDir: '/tmp/scratch',
  homeDir: null,
  ...over
})

describe('codex profile', () => {
  it('is the profile named codex: reveals sessions, needs turn.completed, stops after 600 s of silence', () => {
    expect(profileFor('codex')).toBe(codexProfile)
    expect(codexProfile).toMatchObject({ name: 'codex', defaultCommand: 'codex', sessions: 'reveal', reportsResult: true, defaultIdleSeconds: 600 })
  })
})

describe('codex argv', () => {
  it('puts the user args after exec, its options, then the prompt after -- as one argument', () => {
    const prompt = '-rf $(x); `y` "q" \'s\'\n--json'
    expect(codexProfile.invocation(input({ prompt }))).toEqual({
      argv: ['codex', 'exec', '-m', 'gpt-5', ...FLAGS, ...GLOBAL, '--', prompt]
    })
  })

  it('reads a prompt too big for one argument from stdin, with - in its place', () => {
    const prompt = 'é'.repeat(ARGV_PROMPT_MAX_BYTES / 2 + 1)
    const inv = codexProfile.invocation(input({ prompt }))
    expect(inv.argv.slice(-2)).toEqual(['--', '-'])
    expect(inv.argv).not.toContain(prompt)
    expect(inv.input).toBe(prompt)
  })

  it('resumes with `exec resume`: exec-only options before it, the id and prompt after --', () => {
    const { argv } = codexProfile.invocation(input({ session: { mode: 'resume', id: '01a1fde6-e193-7581-8a49-ecb98683964b' } }))
    expect(argv).toEqual(['codex', 'exec', '-m', 'gpt-5', ...FLAGS, 'resume', ...GLOBAL, '--', '01a1fde6-e193-7581-8a49-ecb98683964b', 'hello'])
  })

  it('starts a new session like a one-shot run (Codex names it)', () => {
    expect(codexProfile.invocation(input({ session: { mode: 'new' } }))).toEqual(codexProfile.invocation(input()))
  })

  it('gives each caller its own CODEX_HOME', () => {
    expect(codexProfile.invocation(input({ homeDir: '/state/agents/ci' })).env).toEqual({ CODEX_HOME: '/state/agents/ci' })
    expect(codexProfile.invocation(input()).env).toBeUndefined()
  })

  it('trusts the repository only when trust_repo is on', () => {
    const trusted = codexProfile.invocation(input({ agent: agentConfig({ profile: 'codex', command: 'codex', trust_repo: true }) })).argv
    expect(trusted).toContain('--trust')
    expect(trusted).not.toContain('--ignore-rules')
    const untrusted = codexProfile.invocation(input()).argv
    expect(untrusted).toContain('--ignore-rules')
    expect(untrusted).not.toContain('--trust')
  })
})

describe('codex tool rules', () => {
  it('stays read-only unless an allowed tool has to write', () => {
    expect(codexSandbox({})).toBe('read-only')
    expect(codexSandbox({ allow: ['Read', 'Grep', 'Glob', 'LS', 'Bash(git log:*)', 'WebFetch'] })).toBe('read-only')
    expect(codexSandbox({ allow: ['Edit'] })).toBe('workspace-write')
    expect(codexSandbox({ allow: ['NotebookEdit'] })).toBe('workspace-write')
    expect(codexSandbox({ allow: ['Bash'] })).toBe('workspace-write')
    expect(codexSandbox({ allow: ['Write'], deny: ['Write'] })).toBe('read-only')
    expect(codexSandbox({ allow: ['Write'], deny: ['Bash(rm:*)'] })).toBe('workspace-write')
  })

  it('never turns the sandbox off, whatever the rules', () => {
    for (const allow of [['Bash'], ['Bash', 'Edit', 'Write', 'WebFetch', 'mcp__github'], ['*']]) {
      const { argv } = codexProfile.invocation(input({ tools: { allow, deny: [] } }))
      expect(argv).not.toContain('danger-full-access')
      expect(argv.some((a) => a.startsWith('--dangerously'))).toBe(false)
    }
  })

  it('has no problem with rules the sandbox keeps', () => {
    expect(codexProfile.toolProblems?.({ allow: ['Read', 'Grep', 'Glob', 'Edit'], deny: ['WebFetch'] })).toEqual([])
    expect(codexProfile.toolProblems?.({ deny: ['Edit', 'Write'] })).toEqual([])
  })

  it('names the rules it cannot keep', () => {
    const problems = (tools: ProfileInput['tools']) => codexProfile.toolProblems?.(tools) ?? []
    expect(problems({ allow: ['Bash(git log:*)'] })).toEqual([
      'Codex cannot keep the allow rule "Bash(git log:*)": it cannot limit its shell to some commands, so it may run any command; the read-only sandbox only stops commands that write files or use the network.'
    ])
    expect(problems({ allow: ['Edit'], deny: ['Bash(rm:*)'] })).toEqual([
      'Codex cannot keep the deny rule "Bash(rm:*)": its shell cannot be switched off or limited by command; the workspace-write sandbox lets every command write in the workspace.'
    ])
    expect(problems({ allow: ['Bash'], deny: ['Edit'] })).toHaveLength(1)
    expect(problems({ allow: ['Bash'], deny: ['Edit'] })[0]).toMatch(/"Edit".*workspace-write/)
    expect(problems({ deny: ['Read', 'mcp__github'] })).toHaveLength(2)
    expect(problems({ allow: ['Edit(src/**)'] })[0]).toMatch(/cannot limit edits to some paths/)
  })
})

describe('codex sessionMissing', () => {
  const stderr = 'Reading additional input from stdin...\n\u001b[31mError: thread/resume: thread/resume failed: no rollout found for thread id 0199 (code -32600)\u001b[0m\n'
  it('recognises the unknown-thread error, even coloured, only on a failed exit', () => {
    expect(codexProfile.sessionMissing?.({ report: null, stderrTail: stderr, exitCode: 1 })).toBe(true)
    expect(codexProfile.sessionMissing?.({ report: null, stderrTail: stderr, exitCode: 0 })).toBe(false)
    expect(codexProfile.sessionMissing?.({ report: null, stderrTail: 'Error: stream disconnected', exitCode: 1 })).toBe(false)
  })
})

describe('codex profile with a fake codex process', () => {

  // The fake is run directly (`#!/usr/bin/env node`): the user's args come after `exec`. Without a
  // CODEX_HOME it keeps sessions in ~/.codex, so HOME is a fresh directory too.
  const codex = (mode: string, agent: Partial<AgentConfig> = {}) => ({
    agent: { profile: 'codex' as const, command: FAKE, args: [], cwd: testDir('hookgate-codex-'), env: ['FAKE_AGENT_MODE', 'FAKE_AGENT_EXIT_CODE'], ...agent },
    env: { FAKE_AGENT_MODE: mode, HOME: testDir('hookgate-codex-') }
  })
  const answer = (events: AgentEvent[]): Record<string, unknown> => {
    const texts = events.flatMap((e) => (e.type === 'text' ? [e.data.text] : []))
    return JSON.parse(texts.at(-1)?.trim() ?? 'null') as Record<string, unknown>
  }
  const stdoutEvents = (events: AgentEvent[]) => events.filter((e) => e.type !== 'log' || e.data.stream === 'stdout')
  const stderrOf = (events: AgentEvent[]) => events.flatMap((e) => (e.type === 'log' && e.data.stream === 'stderr' ? [e.data.line] : [])).join('\n')

  it('runs a one-shot prompt: session, answer, success; the prompt arrives verbatim as one argument', async () => {
    const prompt = '-rf $(whoami); `id` "double" \'single\' --json'
    const { outcome, events } = await run({ prompt, ...codex('ok') })
    expect(stdoutEvents(events).map((e) => e.type)).toEqual(['session', 'text'])
    const session = events.find((e) => e.type === 'session')
    expect(outcome).toMatchObject({ status: 'succeeded', exit_code: 0, error: null, session: session?.type === 'session' ? session.data.session : 'none' })
    expect(answer(events)).toMatchObject({
      prompt, prompt_source: 'argv', subcommand: 'exec', sandbox: 'read-only', color: 'never', json: true,
      skip_git_repo_check: true, ignore_rules: true, trust: false, env: { CODEX_HOME: null }
    })
    expect(outcome.output).toBe(JSON.stringify(answer(events)))
  })

  it('sends a prompt too big for argv on stdin, and Codex reads it whole', async () => {
    const prompt = `-${'ä'.repeat(ARGV_PROMPT_MAX_BYTES)}`
    const { outcome, events } = await run({ prompt, ...codex('ok') })
    expect(outcome.status).toBe('succeeded')
    expect(answer(events)).toMatchObject({ prompt, prompt_source: 'stdin' })
  })

  it('streams a tool call in order and gets workspace-write for an allowed Edit', async () => {
    const { outcome, events } = await run({ ...codex('tool'), tools: { allow: ['Edit'] } })
    expect(stdoutEvents(events).map((e) => (e.type === 'text' ? `text:${e.data.text.slice(0, 15)}` : e.type))).toEqual([
      'session', 'log', 'text:Let me check.', 'tool_start', 'tool_end', 'text:\n\n{"prompt":"he'
    ])
    expect(events.find((e) => e.type === 'tool_start')?.data).toEqual({ tool_id: 'item_2', name: 'shell', summary: 'echo hello-from-tool' })
    expect(answer(events)).toMatchObject({ sandbox: 'workspace-write' })
    expect(outcome.status).toBe('succeeded')
    expect(outcome.output.startsWith('Let me check.\n\n{')).toBe(true)
  })

  it('survives retries, which are only logged', async () => {
    const { outcome, events } = await run(codex('retry'))
    expect(outcome.status).toBe('succeeded')
    expect(events.filter((e) => e.type === 'log' && e.data.line.startsWith('Reconnecting...'))).toHaveLength(2)
  })

  it('fails with the message of turn.failed', async () => {
    const { outcome } = await run(codex('fail'))
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 1 })
    expect(outcome.error).toContain('The model `fail-model` does not exist')
  })

  it('fails an exit 0 without turn.completed, with the stderr tail', async () => {
    const { outcome } = await run(codex('no_result'))
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 0 })
    expect(outcome.error).toMatch(/^agent exited without a result \(exit code 0\)/)
    expect(outcome.error).toContain('stream disconnected: connection reset by peer')
  })

  it('fails a crash with its exit code and panic message', async () => {
    const { outcome } = await run(codex('crash'))
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 101 })
    expect(outcome.error).toContain('fake-codex crashed on purpose')
  })

  it('stops a run that goes silent (retrying forever) at the idle limit', async () => {
    const { outcome, events } = await run(codex('hang', { idle_timeout: 1 }))
    expect(outcome.status).toBe('timed_out')
    expect(outcome.error).toMatch(/idle/)
    expect(events.some((e) => e.type === 'session')).toBe(true)
  })

  it('fails like Codex (clap, exit 2) on an option it does not know', async () => {
    const { outcome } = await run(codex('ok', { args: ['--bogus'] }))
    expect(outcome).toMatchObject({ status: 'failed', exit_code: 2 })
    expect(outcome.error).toContain("unexpected argument '--bogus' found")
  })

  it('passes --trust and no --ignore-rules when the repository is trusted', async () => {
    const { events } = await run(codex('ok', { trust_repo: true }))
    expect(answer(events)).toMatchObject({ trust: true, ignore_rules: false })
  })

  it('continues a session in the caller\'s CODEX_HOME under the same id', async () => {
    const homeDir = testDir('hookgate-codex-')
    const first = await run({ ...codex('ok'), homeDir, session: { mode: 'new' } })
    expect(first.outcome.status).toBe('succeeded')
    expect(answer(first.events)).toMatchObject({ env: { CODEX_HOME: homeDir }, subcommand: 'exec' })
    const id = first.outcome.session
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    const second = await run({ ...codex('ok'), prompt: 'and now?', homeDir, session: { mode: 'resume', id: id ?? '' } })
    expect(second.outcome).toMatchObject({ status: 'succeeded', session: id })
    expect(second.outcome.notice).toBeUndefined()
    expect(answer(second.events)).toMatchObject({ subcommand: 'resume', thread_id: id, prompt: 'and now?' })
  })

  it('starts a fresh session when Codex no longer has the one to resume', async () => {
    const homeDir = testDir('hookgate-codex-')
    const missing = '0199aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee'
    const { outcome, events } = await run({ ...codex('ok'), homeDir, session: { mode: 'resume', id: missing } })
    const stderr = stderrOf(events)
    expect(stderr).toContain(`no rollout found for thread id ${missing}`)
    expect(codexProfile.sessionMissing?.({ report: null, stderrTail: stderr, exitCode: 1 })).toBe(true)
    expect(outcome.status).toBe('succeeded')
    expect(outcome.notice).toMatch(/no longer exists/)
    expect(outcome.session).not.toBe(missing)
    expect(answer(events)).toMatchObject({ subcommand: 'exec' })
  })
})
