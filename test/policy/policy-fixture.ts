// A config shaped like contract §6, plus commands that exercise each rule.
import type { PolicyInput } from '../../src/policy/compiled-policy.ts'

const SECRET = 'x'.repeat(32)

export const FIXTURE: PolicyInput = {
  policy: { block: ['rm\\s+-rf', 'curl[^|]*\\|\\s*(ba)?sh', '\\bdrop\\s+database\\b'], max_prompt_chars: 200 },
  commands: {
    run: { prompt: '{args}', allow: ['^(list|explain|review|fix|show|analyze|summarize|write tests)\\b'] },
    test: { prompt: "Run the project's test suite and report passed, failed and error counts.", description: 'Run the tests' },
    deploy: {
      prompt: 'Run the deployment pipeline for the {args} environment.',
      choices: ['staging', 'dev', 'Production'],
      confirm: ['production']
    },
    git: {
      prompt: 'Run `git {args}` and show the output.',
      args_match: '^(status|log|diff|branch|show)\\b',
      tools: { allow: ['Bash(git status:*)', 'Bash(git log:*)', 'Bash(git diff:*)'], deny: ['Bash(git push:*)'] }
    },
    ask: { prompt: '{args}' },
    echo: { prompt: 'Repeat exactly: {args}' },
    purge: { prompt: 'Please drop database {args}' },
    wipe: { prompt: 'Please drop {args}' }
  },
  callers: {
    ci: {
      scheme: 'hmac-sha256',
      secrets: [SECRET],
      commands: ['run', 'test', 'git', 'echo', 'purge'],
      default_command: 'run',
      tools: { allow: ['Read', 'Grep', 'Glob', 'Bash(git:*)'], deny: ['Bash(rm:*)'] }
    },
    line: { scheme: 'hmac-sha256', secrets: [SECRET], commands: ['test', 'deploy'] },
    free: { scheme: 'hmac-sha256', secrets: [SECRET], commands: ['ask', 'echo', 'wipe'], default_command: 'ask' }
  }
}
