import { describe, expect, it } from 'vitest'
import { claudeProfile } from '../../src/runner/profiles/claude.ts'
import { commandProfile } from '../../src/runner/profiles/command.ts'
import { DEMO_AGENT_PATH, demoProfile } from '../../src/runner/profiles/demo.ts'
import { profileFor } from '../../src/runner/profiles/index.ts'
import { ARGV_PROMPT_MAX_BYTES } from '../../src/runner/profiles/profile.ts'
import { agentConfig } from './helpers.ts'

const STREAM = ['-p', '--output-format', 'stream-json', '--verbose', '--include-partial-messages']

describe('claude profile argv', () => {
  const agent = agentConfig({ command: 'claude', args: ['--model', 'sonnet'] })

  it('puts flags, then --, then the prompt as one argument', () => {
    expect(claudeProfile.invocation({ agent, prompt: '-rf $(x); `y`', tools: {} })).toEqual({
      argv: ['claude', '--model', 'sonnet', ...STREAM, '--', '-rf $(x); `y`']
    })
  })

  it('passes each tool list as one comma-joined argument before --', () => {
    const { argv } = claudeProfile.invocation({ agent, prompt: 'p', tools: { allow: ['Read', 'Bash(git status:*)'], deny: ['Bash(rm:*)'] } })
    expect(argv.slice(-6)).toEqual(['--allowedTools', 'Read,Bash(git status:*)', '--disallowedTools', 'Bash(rm:*)', '--', 'p'])
  })

  it('leaves out empty tool lists', () => {
    expect(claudeProfile.invocation({ agent, prompt: 'p', tools: { allow: [], deny: [] } }).argv).not.toContain('--allowedTools')
  })

  it('sends a prompt too big for argv on stdin, without a positional prompt', () => {
    const prompt = 'é'.repeat(ARGV_PROMPT_MAX_BYTES / 2 + 1)
    const inv = claudeProfile.invocation({ agent, prompt, tools: { deny: ['X'] } })
    expect(inv).toEqual({ argv: ['claude', '--model', 'sonnet', ...STREAM, '--disallowedTools', 'X'], input: prompt })
  })

  it('asks for a quiet environment', () => {
    expect(claudeProfile.env).toEqual({ DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' })
  })
})

describe('command profile argv', () => {
  it('replaces every element exactly equal to {prompt}, and only those', () => {
    const agent = agentConfig({ profile: 'command', argv: ['/bin/agent', '--msg={prompt}', '{prompt}', '-q', '{prompt}'] })
    expect(commandProfile.invocation({ agent, prompt: '$(id) -x', tools: {} })).toEqual({
      argv: ['/bin/agent', '--msg={prompt}', '$(id) -x', '-q', '$(id) -x']
    })
  })

  it('sends the prompt on stdin when no element is {prompt}', () => {
    const agent = agentConfig({ profile: 'command', argv: ['llm', '-m', 'x'] })
    expect(commandProfile.invocation({ agent, prompt: 'hi', tools: {} })).toEqual({ argv: ['llm', '-m', 'x'], input: 'hi' })
  })

  it('falls back to command and args when argv is empty', () => {
    const agent = agentConfig({ profile: 'command', command: 'my-agent', args: ['{prompt}'], argv: [] })
    expect(commandProfile.invocation({ agent, prompt: 'hi', tools: {} })).toEqual({ argv: ['my-agent', 'hi'] })
  })

  it('reads stdout lines as text with their newline back', () => {
    const p = commandProfile.createParser()
    expect(p.line('a')).toEqual([{ type: 'text', data: { text: 'a\n' } }])
    expect(p.report()).toBeNull()
  })
})

describe('demo profile argv', () => {
  it('runs the demo script with this Node binary and the prompt after --', () => {
    expect(demoProfile.invocation({ agent: agentConfig({ profile: 'demo' }), prompt: '-p x', tools: {} })).toEqual({
      argv: [process.execPath, DEMO_AGENT_PATH, '--', '-p x']
    })
    expect(DEMO_AGENT_PATH).toMatch(/\/src\/runner\/demo-agent\.ts$/)
  })
})

describe('profileFor', () => {
  it('knows the three profiles and refuses others', () => {
    expect(profileFor('claude')).toBe(claudeProfile)
    expect(profileFor('command')).toBe(commandProfile)
    expect(profileFor('demo')).toBe(demoProfile)
    expect(() => profileFor('toString')).toThrow(/unknown agent profile/)
  })
})
