import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.ts'
import { compilePolicy, policyProblems, tryCompilePolicy, type PolicyInput } from '../../src/policy/compiled-policy.ts'
import { FIXTURE } from './policy-fixture.ts'

const caller = (extra: Partial<PolicyInput['callers'][string]> = {}) => ({ scheme: 'hmac-sha256' as const, secrets: ['x'.repeat(32)], ...extra })

describe('compilePolicy', () => {
  it('compiles the fixture and the contract\'s example without problems', () => {
    expect(policyProblems(FIXTURE)).toEqual([])
    expect(policyProblems({
      policy: { block: ['rm\\s+-rf', 'curl[^|]*\\|\\s*(ba)?sh'], max_prompt_chars: 16384 },
      commands: {
        run: { prompt: '{args}', allow: ['^(list|explain|review|fix|show|analyze|summarize|write tests)\\b'] },
        test: { prompt: "Run the project's test suite and report passed, failed and error counts." },
        deploy: { prompt: 'Run the deployment pipeline for the {args} environment.', choices: ['staging', 'dev', 'production'], confirm: ['production'] },
        git: { prompt: 'Run `git {args}` and show the output.', args_match: '^(status|log|diff|branch|show)\\b', tools: { allow: ['Bash(git status:*)'] } }
      },
      callers: {
        ci: caller({ commands: ['run', 'test', 'git'], default_command: 'run', tools: { allow: ['Read'], deny: ['Bash(rm:*)'] } }),
        line: caller({ commands: ['run', 'test', 'deploy'], default_command: 'run' })
      }
    })).toEqual([])
  })

  it('uses the schema default for max_prompt_chars when the input has none', () => {
    const policy = compilePolicy({ callers: {} })
    expect(policy.maxPromptChars).toBe(16384)
  })

  it('reports every problem with its JSON pointer', () => {
    const problems = policyProblems({
      policy: { block: ['(a)\\1'] },
      commands: {
        help: { prompt: 'help me' },
        Deploy: { prompt: 'x' },
        tricky: { prompt: 'Run \u202E{args}' },
        deploy: { prompt: '{args}', choices: ['dev', '\u200B'], confirm: ['production'] },
        ok: { prompt: '{args}' }
      },
      callers: {
        ci: caller({ commands: ['ok', 'nosuch', 'status'], default_command: 'deploy' }),
        cd: caller({ commands: ['ok'], default_command: 'missing' })
      }
    })
    expect(problems).toEqual([
      { path: '/policy/block/0', message: expect.stringMatching(/linear time/) },
      { path: '/commands/help', message: expect.stringMatching(/built-in/) },
      { path: '/commands/Deploy', message: expect.stringMatching(/lower-case/) },
      { path: '/commands/tricky/prompt', message: expect.stringMatching(/bidi_control/) },
      { path: '/commands/deploy/choices/1', message: expect.stringMatching(/empty/) },
      { path: '/commands/deploy/confirm/0', message: expect.stringMatching(/not one of the command's choices/) },
      { path: '/callers/ci/commands/1', message: 'unknown command "nosuch" (not defined under /commands)' },
      { path: '/callers/ci/commands/2', message: expect.stringMatching(/built-in/) },
      { path: '/callers/ci/default_command', message: '"deploy" is not in this caller\'s commands' },
      { path: '/callers/cd/default_command', message: 'unknown command "missing" (not defined under /commands)' }
    ])
  })

  it('escapes keys in pointers', () => {
    expect(policyProblems({ commands: {}, callers: { 'a/b~c': caller({ commands: ['x'] }) } })).toEqual([
      { path: '/callers/a~1b~0c/commands/0', message: expect.any(String) }
    ])
  })

  it('throws a ConfigError carrying the same problems', () => {
    const input = { policy: { block: ['a(?=b)'] }, callers: {} }
    expect(() => compilePolicy(input)).toThrow(ConfigError)
    try {
      compilePolicy(input)
    } catch (err) {
      expect((err as ConfigError).problems).toEqual(policyProblems(input))
    }
    expect(tryCompilePolicy(input).ok).toBe(false)
  })
})
