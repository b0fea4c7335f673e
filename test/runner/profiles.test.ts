import { describe, expect, it } from 'vitest'
import { claudeInteractive, claudeProfile } from '../../src/runner/profiles/claude.ts'
import { commandProfile } from '../../src/runner/profiles/command.ts'
import { DEMO_AGENT_PATH, demoProfile } from '../../src/runner/profiles/demo.ts'
import { profileFor } from '../../src/runner/profiles/index.ts'
import type { ProfileInput } from '../../src/runner/profiles/profile.ts'
import { agentConfig } from './helpers.ts'

const STREAM = ['-p', '--output-format', 'stream-json', '--verbose', '--include-partial-messages']
const INTERACTIVE = ['--input-format', 'stream-json', '--permission-prompt-tool', 'stdio']
const CONTAINED = ['--setting-sources', 'user', '--strict-mcp-config']

describe('claude profile argv', () => {
  const agent = agentConfig({ command: 'claude', args: ['--model', 'sonnet'] })
  const input = (over: Partial<ProfileInput> = {}): ProfileInput => ({ agent, prompt: '-rf $(x); `y`', tools: {}, session: null, scratchDir: '/tmp/s', homeDir: null, ...over })

  it('streams JSON both ways and never puts the prompt in argv (it is the first stdin message)', () => {
    const inv = claudeProfile.invocation(input())
    expect(inv.argv).toEqual(['claude', '--model', 'sonnet', ...STREAM, ...INTERACTIVE, ...CONTAINED])
    expect(inv.argv.join(' ')).not.toContain('$(x)')
    expect(inv.input).toBeUndefined()
  })

  it('encodes the prompt as a stream-json user message, verbatim', () => {
    const line = claudeInteractive.userMessage('-rf $(x); `y`\n"quoted"')
    expect(line.endsWith('\n')).toBe(true)
    expect(JSON.parse(line)).toEqual({ type: 'user', message: { role: 'user', content: '-rf $(x); `y`\n"quoted"' }, parent_tool_use_id: null, session_id: '' })
  })

  it('answers permission questions in the control protocol, passing the input back when allowed', () => {
    const q = { requestId: 'r1', tool: 'Bash', input: { command: 'ls' }, toolUseId: 't1' }
    expect(JSON.parse(claudeInteractive.permissionAnswer(q, { allow: true }))).toEqual({ type: 'control_response', response: { subtype: 'success', request_id: 'r1', response: { behavior: 'allow', updatedInput: { command: 'ls' } } } })
    expect(JSON.parse(claudeInteractive.permissionAnswer(q, { allow: false, message: 'no' }))).toEqual({ type: 'control_response', response: { subtype: 'success', request_id: 'r1', response: { behavior: 'deny', message: 'no' } } })
  })

  it('passes each tool list as one comma-joined argument', () => {
    const { argv } = claudeProfile.invocation(input({ tools: { allow: ['Read', 'Bash(git status:*)'], deny: ['Bash(rm:*)'] } }))
    expect(argv.slice(-4)).toEqual(['--allowedTools', 'Read,Bash(git status:*)', '--disallowedTools', 'Bash(rm:*)'])
  })

  it('leaves out empty tool lists', () => {
    expect(claudeProfile.invocation(input({ tools: { allow: [], deny: [] } })).argv).not.toContain('--allowedTools')
  })

  it('starts a chosen session with --session-id and continues one with --resume', () => {
    expect(claudeProfile.invocation(input({ session: { mode: 'new', id: 'u-1' } })).argv.slice(-2)).toEqual(['--session-id', 'u-1'])
    expect(claudeProfile.invocation(input({ session: { mode: 'resume', id: 'u-2' } })).argv.slice(-2)).toEqual(['--resume', 'u-2'])
    expect(claudeProfile.invocation(input({ session: { mode: 'new' } })).argv).not.toContain('--session-id')
  })

  it('keeps repository settings and MCP servers out unless trust_repo is set', () => {
    expect(claudeProfile.invocation(input({ agent: { ...agent, trust_repo: true } })).argv).not.toContain('--strict-mcp-config')
    expect(claudeProfile.invocation(input()).argv).toEqual(expect.arrayContaining(['--setting-sources', 'user', '--strict-mcp-config']))
  })

  it('gives each caller its own config directory when one is given', () => {
    expect(claudeProfile.invocation(input({ homeDir: '/state/agents/claude/ci' })).env).toEqual({ CLAUDE_CONFIG_DIR: '/state/agents/claude/ci' })
    expect(claudeProfile.invocation(input()).env).toBeUndefined()
  })

  it('recognises a resume of a conversation the CLI no longer has', () => {
    expect(claudeProfile.sessionMissing?.({ report: { ok: false, output: 'No conversation found with session ID: abc', session: null, cost_usd: null, turns: 0 }, stderrTail: '', exitCode: 1 })).toBe(true)
    expect(claudeProfile.sessionMissing?.({ report: { ok: false, output: 'Not logged in', session: null, cost_usd: null, turns: 0 }, stderrTail: '', exitCode: 1 })).toBe(false)
  })

  it('asks for a quiet environment', () => {
    expect(claudeProfile.env).toEqual({ DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' })
  })
})

describe('command profile argv', () => {
  it('replaces every element exactly equal to {prompt}, and only those', () => {
    const agent = agentConfig({ profile: 'command', argv: ['/bin/agent', '--msg={prompt}', '{prompt}', '-q', '{prompt}'] })
    expect(commandProfile.invocation({ agent, prompt: '$(id) -x', tools: {}, session: null, scratchDir: '/tmp/s', homeDir: null })).toEqual({
      argv: ['/bin/agent', '--msg={prompt}', '$(id) -x', '-q', '$(id) -x']
    })
  })

  it('sends the prompt on stdin when no element is {prompt}', () => {
    const agent = agentConfig({ profile: 'command', argv: ['llm', '-m', 'x'] })
    expect(commandProfile.invocation({ agent, prompt: 'hi', tools: {}, session: null, scratchDir: '/tmp/s', homeDir: null })).toEqual({ argv: ['llm', '-m', 'x'], input: 'hi' })
  })

  it('falls back to command and args when argv is empty', () => {
    const agent = agentConfig({ profile: 'command', command: 'my-agent', args: ['{prompt}'], argv: [] })
    expect(commandProfile.invocation({ agent, prompt: 'hi', tools: {}, session: null, scratchDir: '/tmp/s', homeDir: null })).toEqual({ argv: ['my-agent', 'hi'] })
  })

  it('reads stdout lines as text with their newline back', () => {
    const p = commandProfile.createParser()
    expect(p.line('a')).toEqual([{ type: 'text', data: { text: 'a\n' } }])
    expect(p.report(0)).toBeNull()
  })
})

describe('demo profile argv', () => {
  it('runs the demo script with this Node binary and the prompt after --', () => {
    expect(demoProfile.invocation({ agent: agentConfig({ profile: 'demo' }), prompt: '-p x', tools: {}, session: null, scratchDir: '/tmp/s', homeDir: null })).toEqual({
      argv: [process.execPath, DEMO_AGENT_PATH, '--', '-p x']
    })
    expect(DEMO_AGENT_PATH).toMatch(/\/src\/runner\/demo-agent\.ts$/)
  })
})

describe('profileFor', () => {
  it('knows every profile by its own name and refuses others', () => {
    expect(profileFor('claude')).toBe(claudeProfile)
    expect(profileFor('command')).toBe(commandProfile)
    expect(profileFor('demo')).toBe(demoProfile)
    for (const name of ['claude', 'codex', 'gemini', 'opencode', 'copilot', 'command', 'demo']) expect(profileFor(name).name).toBe(name)
    expect(() => profileFor('toString')).toThrow(/unknown agent profile/)
  })
})
