import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { ConfigError } from '../../src/errors.ts'
import { loadConfigFile, parseConfig } from '../../src/config/load.ts'
import { HMAC_SECRET, SOURCE, baseDoc, load, problemsOf, withDoc } from './fixtures.ts'

describe('defaults', () => {
  const { config } = load(baseDoc())

  it('fills every section', () => {
    expect(config.server).toEqual({ host: '127.0.0.1', port: 8787, trust_proxy: false })
    expect(config.limits).toEqual({
      concurrency: 2, queue: 16, sync_wait: 30, max_sync_wait: 120, body_bytes: 1048576,
      per_address: { max: 600, window: 60 }, sse_clients_per_run: 100, run_log_bytes: 16777216
    })
    expect(config.policy).toEqual({ block: [], max_prompt_chars: 16384 })
    expect(config.agent).toMatchObject({ profile: 'claude', command: 'claude', args: [], argv: [], timeout: 600, kill_grace: 5, env: [], max_output_bytes: 10485760 })
    expect(config.store).toBe('sqlite')
    expect(config.retention).toBe(14)
    expect(config.shutdown_grace).toBe(10)
    expect(config.audit).toMatchObject({ prompts: false })
    expect(config.log).toEqual({ level: 'info' })
    expect(config.admin_token).toBeUndefined()
  })

  it('fills defaults inside callers (a record)', () => {
    expect(config.callers.ci?.max_age).toBe(300)
    const { config: bare } = load(withDoc((d) => { d.callers.ci = { scheme: 'hmac-sha256', secrets: [HMAC_SECRET] } }))
    expect(bare.callers.ci?.commands).toEqual([])
  })

  it('keeps what the file sets, filling only what is missing', () => {
    const { config: set } = load(withDoc((d) => { d.limits = { queue: 0, per_address: { max: 5, window: 1 } } }))
    expect(set.limits.queue).toBe(0)
    expect(set.limits.concurrency).toBe(2)
    expect(set.limits.per_address).toEqual({ max: 5, window: 1 })
  })

  it('does not share default objects between loads', () => {
    const a = load(baseDoc()).config
    const b = load(baseDoc()).config
    expect(a.policy.block).not.toBe(b.policy.block)
  })
})

describe('${NAME} substitution', () => {
  const secretRef = (ref: string) => withDoc((d) => { d.callers.ci.secrets = [ref] })

  it('replaces a variable that is set', () => {
    const { config } = load(secretRef('${CI_SECRET}'), { CI_SECRET: HMAC_SECRET })
    expect(config.callers.ci?.secrets).toEqual([HMAC_SECRET])
  })

  it('reports a missing variable at its path, and nothing else there', () => {
    expect(problemsOf(secretRef('${CI_SECRET}'))).toEqual([
      { path: '/callers/ci/secrets/0', message: expect.stringMatching(/^environment variable CI_SECRET is not set/) }
    ])
  })

  it('reports an empty variable as not set', () => {
    expect(problemsOf(secretRef('${CI_SECRET}'), { CI_SECRET: '' })[0]).toEqual({
      path: '/callers/ci/secrets/0', message: expect.stringContaining('environment variable CI_SECRET is not set')
    })
  })

  it('works in nested arrays and objects and reports each missing name', () => {
    const doc = withDoc((d) => {
      d.policy = { block: ['rm\\s', 'curl ${BLOCKED_HOST}'] }
      d.callers.ci.tools = { allow: ['Read', 'Bash(${TOOL}:*)'] }
      d.callers.ci.secrets = ['${A}${B}']
    })
    const problems = problemsOf(doc, { A: 'x'.repeat(16) })
    expect(problems.map((p) => [p.path, p.message.replace(/ \[line \d+\]$/, '')])).toEqual(expect.arrayContaining([
      ['/policy/block/1', 'environment variable BLOCKED_HOST is not set'],
      ['/callers/ci/tools/allow/1', 'environment variable TOOL is not set'],
      ['/callers/ci/secrets/0', 'environment variable B is not set']
    ]))
    const { config } = load(doc, { A: 'x'.repeat(16), B: 'y'.repeat(16), BLOCKED_HOST: 'evil.example', TOOL: 'ls' })
    expect(config.policy.block[1]).toBe('curl evil.example')
    expect(config.callers.ci?.tools?.allow).toEqual(['Read', 'Bash(ls:*)'])
    expect(config.callers.ci?.secrets).toEqual(['x'.repeat(16) + 'y'.repeat(16)])
  })

  it('writes a literal ${ for $${ and leaves other dollars alone', () => {
    const doc = withDoc((d) => { d.commands.run.prompt = 'echo $${HOME} $HOME a$$b $ {args}' })
    expect(load(doc).config.commands.run?.prompt).toBe('echo ${HOME} $HOME a$$b $ {args}')
  })

  it('does not expand references inside substituted values', () => {
    const { config } = load(secretRef('${CI_SECRET}'), { CI_SECRET: '${OTHER}-0123456789abcdef' })
    expect(config.callers.ci?.secrets).toEqual(['${OTHER}-0123456789abcdef'])
  })

  it.each(['${1A}', '${A:-default}', '${A', '${}', '${A B}'])('refuses the invalid reference %s', (ref) => {
    const problems = problemsOf(secretRef(`${ref}-0123456789abcdef`), { A: 'x' })
    expect(problems[0]).toEqual({ path: '/callers/ci/secrets/0', message: expect.stringContaining('invalid environment reference') })
  })

  it('does not echo what follows an invalid reference (it may be an inline secret)', () => {
    const problems = problemsOf(secretRef('${A:-hunter2hunter2hunter2}'))
    expect(problems[0]?.message).toContain('"${A:"')
    expect(JSON.stringify(problems)).not.toContain('hunter2')
  })

  it('does not substitute in keys', () => {
    const problems = problemsOf(withDoc((d) => { d.commands['${NAME}'] = { prompt: 'x' } }), { NAME: 'ok' })
    expect(problems.map((p) => p.path)).toEqual(['/commands/${NAME}'])
  })

  it('gives a whole-value reference the type the schema wants', () => {
    const { config } = load(withDoc((d) => { d.server = { port: '${PORT}', trust_proxy: '${TRUST}' }; d.audit = { prompts: '${PROMPTS}' } }), { PORT: '9090', TRUST: 'true', PROMPTS: 'false' })
    expect(config.server.port).toBe(9090)
    expect(config.server.trust_proxy).toBe(true)
    expect(config.audit.prompts).toBe(false)
  })

  it('keeps strings strings where the schema wants strings, and does not coerce partial references', () => {
    const { config } = load(secretRef('${CI_SECRET}'), { CI_SECRET: '12345678901234567890' })
    expect(config.callers.ci?.secrets).toEqual(['12345678901234567890'])
    const problems = problemsOf(withDoc((d) => { d.server = { port: '${PORT}0' } }), { PORT: '80' })
    expect(problems[0]?.path).toBe('/server/port')
  })
})

describe('YAML', () => {
  it('reports a syntax error with its line and column', () => {
    const problems = problemsOf('callers:\n  ci: [unclosed\nlog: {}\n')
    expect(problems.length).toBeGreaterThan(0)
    expect(problems[0]?.message).toMatch(/^YAML syntax error at line \d+, column \d+: /)
  })

  it('refuses duplicate keys', () => {
    expect(problemsOf('callers: {}\ncallers: {}\n')[0]?.message).toMatch(/line 2, column 1: .*unique/)
  })

  it('refuses unknown tags rather than guessing', () => {
    expect(problemsOf('callers: !custom {}\n')[0]?.message).toMatch(/YAML problem at line 1/)
  })

  it('refuses an empty file and a top level that is not a mapping', () => {
    expect(problemsOf('')).toEqual([{ path: '', message: expect.stringContaining('empty') }])
    expect(problemsOf('# only a comment\n')).toEqual([{ path: '', message: expect.stringContaining('empty') }])
    expect(problemsOf('- a\n- b\n')).toEqual([{ path: '', message: expect.stringContaining('mapping') }])
  })

  it('refuses a list or mapping used as a key', () => {
    expect(problemsOf('callers: {}\n? [a, b]\n: 1\n')[0]?.message).toMatch(/YAML problem at line 2, column 3: a key must be plain text/)
  })

  it('refuses a __proto__ key instead of changing a prototype', () => {
    const text = stringify(baseDoc()) + '__proto__: { polluted: true }\n'
    expect(problemsOf(text).map((p) => p.path)).toEqual(['/__proto__'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('paths, source and freezing', () => {
  it('resolves state_dir and agent.cwd against the config directory', () => {
    const { config } = load(withDoc((d) => { d.state_dir = 'state'; d.agent = { cwd: '../project' } }))
    expect(config.state_dir).toBe('/etc/hookgate/state')
    expect(config.agent.cwd).toBe('/etc/project')
    const { config: defaults } = load(baseDoc())
    expect(defaults.state_dir).toBe('/etc/hookgate/.hookgate')
    expect(defaults.agent.cwd).toBe('/etc/hookgate')
  })

  it('keeps absolute paths', () => {
    const { config } = load(withDoc((d) => { d.state_dir = '/var/lib/hookgate'; d.agent = { cwd: '/srv/repo' } }))
    expect(config.state_dir).toBe('/var/lib/hookgate')
    expect(config.agent.cwd).toBe('/srv/repo')
  })

  it('sets source and demo', () => {
    expect(load(baseDoc()).config).toMatchObject({ source: SOURCE, demo: false })
    expect(load(withDoc((d) => { d.agent = { profile: 'demo' } })).config.demo).toBe(true)
    const anonymous = parseConfig(stringify(baseDoc()), {}, { source: null, baseDir: '/srv' })
    expect(anonymous.config.source).toBeNull()
  })

  it('returns a deeply frozen config', () => {
    const { config } = load(withDoc((d) => { d.commands.run.tools = { allow: ['Read'] } }))
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.limits.per_address)).toBe(true)
    expect(Object.isFrozen(config.callers.ci?.secrets)).toBe(true)
    expect(Object.isFrozen(config.commands.run?.tools?.allow)).toBe(true)
    expect(() => { (config.limits as { queue: number }).queue = 1 }).toThrow(TypeError)
    expect(() => { (config.callers.ci?.secrets as string[]).push('x') }).toThrow(TypeError)
  })
})

describe('loadConfigFile', () => {
  let dir = ''
  afterEach(() => { if (dir !== '') rmSync(dir, { recursive: true, force: true }) })

  it('loads a file with paths relative to its directory and an absolute source', () => {
    dir = mkdtempSync(join(tmpdir(), 'hookgate-config-'))
    mkdirSync(join(dir, 'conf'))
    const file = join(dir, 'conf', 'hookgate.yaml')
    writeFileSync(file, stringify(withDoc((d) => { d.state_dir = 'state'; d.callers.ci.secrets = ['${S}'] })))
    const { config } = loadConfigFile(join(dir, 'conf', '..', 'conf', 'hookgate.yaml'), { S: HMAC_SECRET })
    expect(config.source).toBe(file)
    expect(config.state_dir).toBe(join(dir, 'conf', 'state'))
    expect(config.callers.ci?.secrets).toEqual([HMAC_SECRET])
  })

  it('reports a missing or unreadable file as a ConfigError', () => {
    dir = mkdtempSync(join(tmpdir(), 'hookgate-config-'))
    const missing = join(dir, 'nope.yaml')
    expect(() => loadConfigFile(missing, {})).toThrow(ConfigError)
    expect(() => loadConfigFile(missing, {})).toThrow(/cannot read .*nope\.yaml: no such file/)
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.yaml')
      writeFileSync(locked, 'callers: {}\n')
      chmodSync(locked, 0o000)
      expect(() => loadConfigFile(locked, {})).toThrow(/permission denied/)
    }
  })
})

describe('warnings', () => {
  it('has none for a plain loopback config', () => {
    expect(load(baseDoc()).warnings).toEqual([])
  })

  it('warns about a public interface, trust_proxy true, plain http and max_age 0', () => {
    const { warnings } = load(withDoc((d) => {
      d.server = { host: '0.0.0.0', trust_proxy: true, public_url: 'http://hooks.example.com' }
      d.callers.ci.max_age = 0
    }))
    expect(warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\/server\/host: listening on a public interface \(0\.0\.0\.0\): put a TLS reverse proxy in front/),
      expect.stringMatching(/^\/server\/trust_proxy: /),
      expect.stringMatching(/^\/server\/public_url: .*https/),
      expect.stringMatching(/^\/callers\/ci\/max_age: .*no replay window/)
    ]))
  })

  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])('treats %s as loopback', (host) => {
    expect(load(withDoc((d) => { d.server = { host } })).warnings).toEqual([])
  })

  it('warns about a caller that can never start a run', () => {
    const { warnings } = load(withDoc((d) => {
      d.callers.idle = { scheme: 'hmac-sha256', secrets: ['q'.repeat(32)] }
    }))
    expect(warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\/callers\/idle\/commands: .*never start a run/)
    ]))
  })

  it('warns about argv without "{prompt}" and about the demo agent', () => {
    expect(load(withDoc((d) => { d.agent = { profile: 'command', argv: ['agent', '--stdin'] } })).warnings)
      .toEqual([expect.stringMatching(/^\/agent\/argv: .*\{prompt\}/)])
    expect(load(withDoc((d) => { d.agent = { profile: 'demo' } })).warnings)
      .toEqual([expect.stringMatching(/^\/agent\/profile: .*demo/)])
  })
})
