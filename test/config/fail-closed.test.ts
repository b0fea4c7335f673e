import { describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, HMAC_SECRET, OTHER_HMAC_SECRET, WHSEC, baseDoc, load, problemsOf, withDoc, type Doc } from './fixtures.ts'

function telegramCaller (patch: Record<string, unknown>): Record<string, unknown> {
  const caller: Record<string, unknown> = { scheme: 'telegram', secrets: ['telegram_secret_0123456789'], users: ['42'], commands: ['run'], reply: { token: '123:abc' }, ...patch }
  for (const [k, v] of Object.entries(caller)) if (v === undefined) delete caller[k]
  return caller
}

describe('the base document', () => {
  it('loads', () => {
    expect(load(baseDoc()).config.callers.ci?.scheme).toBe('hmac-sha256')
  })
})

// Each row: a mutation of the valid base document, the path its problem must carry, and a
// fragment of the message (so the reader learns what to fix).
const rules: Array<[string, (doc: Doc) => void, string, string | RegExp]> = [
  ['hmac secret shorter than 16 bytes', (d) => { d.callers.ci.secrets = ['short'] }, '/callers/ci/secrets/0', 'openssl rand -hex 32'],
  ['hmac secret length is counted in bytes', (d) => { d.callers.ci.secrets = ['ab'] }, '/callers/ci/secrets/0', 'is 2 bytes'],
  ['standard-webhooks key shorter than 16 bytes', (d) => { d.callers.app.secrets = [`whsec_${Buffer.alloc(8, 1).toString('base64')}`] }, '/callers/app/secrets/0', 'decodes to 8 bytes'],
  ['standard-webhooks secret that is not base64', (d) => { d.callers.app.secrets = ['whsec_not base64 at all!!'] }, '/callers/app/secrets/0', 'base64'],
  ['standard-webhooks secret with only the prefix', (d) => { d.callers.app.secrets = ['whsec_'] }, '/callers/app/secrets/0', 'base64'],
  ['empty secrets', (d) => { d.callers.ci.secrets = [] }, '/callers/ci/secrets', 'at least one'],
  ['missing secrets', (d) => { delete d.callers.ci.secrets }, '/callers/ci/secrets', 'required key "secrets" is missing'],
  ['duplicate secret within a caller', (d) => { d.callers.ci.secrets = [HMAC_SECRET, HMAC_SECRET] }, '/callers/ci/secrets/1', 'same secret as /callers/ci/secrets/0'],
  ['duplicate secret across callers', (d) => { d.callers.ci2 = { scheme: 'hmac-sha256', secrets: [HMAC_SECRET], commands: ['run'] } }, '/callers/ci2/secrets/0', 'same secret as /callers/ci/secrets/0'],
  ['same key bytes across schemes', (d) => { d.callers.ci.secrets = ['x'.repeat(24)]; d.callers.app.secrets = [`whsec_${Buffer.from('x'.repeat(24)).toString('base64')}`] }, '/callers/app/secrets/0', 'same secret as /callers/ci/secrets/0'],
  ['admin_token reused as a caller secret', (d) => { d.admin_token = HMAC_SECRET }, '/callers/ci/secrets/0', 'same secret as /admin_token'],
  ['admin_token shorter than 16 bytes', (d) => { d.admin_token = 'letmein' }, '/admin_token', 'openssl rand -hex 32'],
  ['unknown command in a caller', (d) => { d.callers.ci.commands = ['run', 'deploy'] }, '/callers/ci/commands/1', 'unknown command "deploy"; defined commands: run, test'],
  ['built-in listed in a caller', (d) => { d.callers.ci.commands = ['run', 'status'] }, '/callers/ci/commands/1', 'built-in'],
  ['default_command not in the caller\'s commands', (d) => { d.callers.ci.default_command = 'test'; d.callers.ci.commands = ['run'] }, '/callers/ci/default_command', 'default_command "test"'],
  ['default_command with no commands at all', (d) => { d.callers.ci.commands = [] }, '/callers/ci/default_command', 'must also be listed'],
  ['command named like a built-in', (d) => { d.commands.help = { prompt: 'x' } }, '/commands/help', 'built-in'],
  ...['status', 'cancel', 'new', 'confirm', 'allow', 'deny'].map((name): [string, (doc: Doc) => void, string, string] =>
    [`command named "${name}"`, (d) => { d.commands[name] = { prompt: 'x' } }, `/commands/${name}`, 'built-in']),
  ['block pattern with lookahead', (d) => { d.policy = { block: ['ok', '(?=x)y'] } }, '/policy/block/1', 'linear time'],
  ['allow pattern with a backreference', (d) => { d.commands.run.allow = ['(a)\\1'] }, '/commands/run/allow/0', 'linear time'],
  ['args_match that is not a regular expression', (d) => { d.commands.run.args_match = '(unclosed' }, '/commands/run/args_match', 'not a valid regular expression'],
  ['max_sync_wait below sync_wait', (d) => { d.limits = { sync_wait: 60, max_sync_wait: 30 } }, '/limits/max_sync_wait', 'must not be less than sync_wait'],
  ['max_age 0 for standard-webhooks', (d) => { d.callers.app.max_age = 0 }, '/callers/app/max_age', 'only allowed for scheme "hmac-sha256"'],
  // Platform callers.
  ['platform caller without users', (d) => { d.callers.tg = telegramCaller({ users: undefined }) }, '/callers/tg/users', 'user ids allowed'],
  ['platform caller with an empty users list', (d) => { d.callers.tg = telegramCaller({ users: [] }) }, '/callers/tg/users', 'user ids allowed'],
  ['"*" users on a chat platform', (d) => { d.callers.tg = telegramCaller({ users: ['*'] }) }, '/callers/tg/users', 'only allowed for github'],
  ['users on a generic caller', (d) => { d.callers.ci.users = ['ana'] }, '/callers/ci/users', 'only applies to platform schemes'],
  ['reply on a generic caller', (d) => { d.callers.ci.reply = { token: 't' } }, '/callers/ci/reply', 'only applies to platform schemes'],
  ['telegram without a bot token', (d) => { d.callers.tg = telegramCaller({ reply: {} }) }, '/callers/tg/reply/token', 'required for telegram'],
  ['a reply key of another platform', (d) => { d.callers.tg = telegramCaller({ reply: { token: '1:a', webhook_url: 'https://x.example/' } }) }, '/callers/tg/reply/webhook_url', 'not a telegram reply setting (telegram takes token, api_base)'],
  ['teams without a workflow url', (d) => { d.callers.tm = { scheme: 'teams', secrets: [Buffer.alloc(32, 3).toString('base64')], users: ['29:x'], commands: ['run'] } }, '/callers/tm/reply/webhook_url', 'required for teams'],
  ['twilio without an account sid', (d) => { d.callers.sms = { scheme: 'twilio', secrets: ['t'.repeat(32)], users: ['+15551234567'], commands: ['run'] } }, '/callers/sms/reply/account_sid', 'required for twilio'],
  ['prompt on a chat platform', (d) => { d.callers.tg = telegramCaller({ prompt: 'x' }) }, '/callers/tg/prompt', 'github'],
  ['callback secret that is not whsec_', (d) => { d.callers.ci.callback = { url: 'https://x.example/cb', secret: 'plain-secret-0123456789' } }, '/callers/ci/callback/secret', 'whsec_'],
  ['callback secret shared with a signing secret', (d) => { d.callers.ci.callback = { url: 'https://x.example/cb', secret: WHSEC } }, '/callers/app/secrets/0', 'same secret as /callers/ci/callback/secret'],
  ['max_age 0 for slack', (d) => { d.callers.sl = { scheme: 'slack', secrets: ['s'.repeat(32)], users: ['U1'], commands: ['run'], max_age: 0 } }, '/callers/sl/max_age', 'always signs a timestamp'],
  ['profile command without argv', (d) => { d.agent = { profile: 'command' } }, '/agent/argv', 'needs argv'],
  ['profile command with an empty argv[0]', (d) => { d.agent = { profile: 'command', argv: ['', '{prompt}'] } }, '/agent/argv/0', 'executable'],
  ['argv with another profile', (d) => { d.agent = { profile: 'claude', argv: ['x', '{prompt}'] } }, '/agent/argv', 'only used with profile "command"'],
  ['unknown key', (d) => { d.callers.ci.secret = 'x' }, '/callers/ci/secret', 'unknown key "secret" (did you mean "secrets"?)'],
  ['unknown top-level key', (d) => { d.executor = 'workers' }, '/executor', 'unknown key "executor"'],
  ['workers without a shared store', (d) => { d.execution = 'workers' }, '/execution', 'needs `store: redis://'],
  ['redis lease too short', (d) => { d.store = 'redis://127.0.0.1:6379'; d.redis = { lease: 1 } }, '/redis/lease', 'at least 3'],
  ['invalid caller id', (d) => { d.callers['bad id'] = d.callers.ci }, '/callers/bad id', 'invalid name "bad id"'],
  ['invalid command name', (d) => { d.commands.Run = { prompt: 'x' } }, '/commands/Run', 'invalid name "Run"'],
  ['missing callers', (d) => { delete d.callers }, '/callers', 'required key "callers" is missing'],
  ['unknown scheme', (d) => { d.callers.ci.scheme = 'stripe' }, '/callers/ci/scheme', 'must be one of "hmac-sha256", "standard-webhooks", "github"'],
  ['wrong type', (d) => { d.limits = { concurrency: 'two' } }, '/limits/concurrency', 'must be an integer, not a string'],
  ['empty section', (d) => { d.server = null }, '/server', 'must be a mapping'],
  ['empty host', (d) => { d.server = { host: '' } }, '/server/host', 'must not be empty'],
  ['unknown store', (d) => { d.store = 'postgres://localhost' }, '/store', 'sqlite'],
  ['retention shorter than the idempotency window', (d) => { d.retention = 3 }, '/retention', '7'],
  ['public_url that is not a URL', (d) => { d.server = { public_url: 'hooks.example.com' } }, '/server/public_url', 'absolute URL'],
  ['per_address without window', (d) => { d.limits = { per_address: { max: 5 } } }, '/limits/per_address/window', 'required key "window"'],
  ['agent env name that is not a variable name', (d) => { d.agent = { env: ['NOT-A-NAME'] } }, '/agent/env/0', 'must match']
]

describe('fail-closed rules', () => {
  it.each(rules)('%s', (_name, mutate, path, message) => {
    const problems = problemsOf(withDoc(mutate))
    const atPath = problems.filter((p) => p.path === path)
    expect(atPath, JSON.stringify(problems, null, 2)).not.toHaveLength(0)
    expect(atPath.map((p) => p.message).join('\n')).toMatch(typeof message === 'string' ? new RegExp(escape(message)) : message)
  })

  it('never puts a secret in a message', () => {
    const secret = 'tooshort-Zq9'
    const problems = problemsOf(withDoc((d) => { d.callers.ci.secrets = [secret]; d.admin_token = 'adm-Zq9' }))
    expect(JSON.stringify(problems)).not.toContain('Zq9')
  })

  it('accepts 16-byte secrets exactly and multi-byte characters by their bytes', () => {
    expect(() => load(withDoc((d) => { d.callers.ci.secrets = ['x'.repeat(16)] }))).not.toThrow()
    expect(() => load(withDoc((d) => { d.callers.ci.secrets = ['é'.repeat(8)] }))).not.toThrow()
    expect(() => load(withDoc((d) => { d.callers.app.secrets = [`whsec_${Buffer.alloc(16, 3).toString('base64')}`] }))).not.toThrow()
    expect(() => load(withDoc((d) => { d.admin_token = ADMIN_TOKEN }))).not.toThrow()
  })

  it('accepts a standard-webhooks secret without the whsec_ prefix, as the official library does', () => {
    expect(() => load(withDoc((d) => { d.callers.app.secrets = [WHSEC.slice('whsec_'.length)] }))).not.toThrow()
  })

  it('accepts max_age 0 for hmac-sha256 and several different secrets for rotation', () => {
    const { config } = load(withDoc((d) => { d.callers.ci.max_age = 0; d.callers.ci.secrets = [HMAC_SECRET, OTHER_HMAC_SECRET] }))
    expect(config.callers.ci?.max_age).toBe(0)
  })

  it('accepts profile command with argv', () => {
    const { config } = load(withDoc((d) => { d.agent = { profile: 'command', argv: ['/usr/local/bin/agent', '{prompt}'] } }))
    expect(config.agent.argv).toEqual(['/usr/local/bin/agent', '{prompt}'])
  })
})

describe('reporting', () => {
  it('reports every problem at once, not only the first', () => {
    const problems = problemsOf(withDoc((d) => {
      d.server = { port: 'eighty', colour: 'red' }
      d.admin_token = 'short'
      d.limits = { sync_wait: 10, max_sync_wait: 5 }
      d.policy = { block: ['(?<=a)b'] }
      d.commands.help = { prompt: 'x' }
      d.callers.ci.secrets = ['short', 'short2']
      d.callers.ci.commands = ['run', 'nope']
      d.callers.app.max_age = 0
      d.log = { level: 'loud' }
    }))
    const paths = problems.map((p) => p.path)
    expect(paths).toEqual(expect.arrayContaining([
      '/server/port', '/server/colour', '/admin_token', '/limits/max_sync_wait', '/policy/block/0', '/commands/help',
      '/callers/ci/secrets/0', '/callers/ci/secrets/1', '/callers/ci/commands/1', '/callers/app/max_age', '/log/level'
    ]))
  })

  it('reports one problem per unknown key, without TypeBox\'s "schema is false" noise', () => {
    const problems = problemsOf(withDoc((d) => { d.callers.ci.secret = 'x'; d.callers.ci.user = 'y' }))
    expect(problems.map((p) => p.path).sort()).toEqual(['/callers/ci/secret', '/callers/ci/user'])
    expect(JSON.stringify(problems)).not.toMatch(/schema is false|additional properties/)
  })

  it('reports one problem per union, not one per branch', () => {
    const problems = problemsOf(withDoc((d) => { d.agent = { profile: 'aider' } }))
    expect(problems).toHaveLength(1)
    expect(problems[0]?.message).toMatch(/^must be one of "claude", "codex", "gemini", "opencode", "copilot", "command", "demo"/)
  })

  it('names the line of each problem in a file', () => {
    const text = 'callers:\n  ci:\n    scheme: hmac-sha256\n    secrets: [short]\n'
    expect(problemsOf(text)).toEqual([{ path: '/callers/ci/secrets/0', message: expect.stringMatching(/\[line 4\]$/) }])
  })

  it('formats ConfigError lines as "path: message"', () => {
    try {
      load(withDoc((d) => { d.admin_token = 'x' }))
      expect.unreachable()
    } catch (err) {
      expect((err as Error).message).toMatch(/^\/admin_token: admin_token is 1 bytes/)
    }
  })
})

function escape (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

describe('problems only the policy compiler finds', () => {
  it.each([
    ['/policy/block/0', "policy: { block: ['x*'] }"],
    ['/commands/deploy/confirm/0', 'commands: { deploy: { prompt: "Deploy {args}", choices: [staging], confirm: [production] } }']
  ])('are reported by loading, at %s', async (path, yamlPart) => {
    const { parseConfig } = await import('../../src/config/load.ts')
    const yaml = `${yamlPart}\ncallers: { ci: { scheme: hmac-sha256, secrets: [0123456789abcdef0123456789abcdef], commands: [] } }\n`
    let problems: Array<{ path: string }> = []
    try { parseConfig(yaml, {}, { source: null, baseDir: '/tmp' }) } catch (err) { problems = (err as { problems: Array<{ path: string }> }).problems }
    expect(problems.map((p) => p.path)).toContain(path)
  })
})
