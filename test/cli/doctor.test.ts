// `hookgate doctor` as a child process against real files, real fake agent CLIs on a temporary PATH,
// a real redis-server and a real running gateway.
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startRedis, stopAllRedis } from '../helpers/redis-server.ts'
import { VALID_CONFIG, runCli, startGateway, tempDir, type CliResult } from './helpers.ts'

const NODE_DIR = dirname(process.execPath)
const SECRET = '0123456789abcdef0123456789abcdef'
const API_KEY = 'sk-doctor-test-value-4242'

// Each test gets its own directory (config, state, a bin directory for fake CLIs, a HOME).
const test = it.extend<{ dir: string }>({
  dir: async ({}, use) => {
    const { dir, cleanup } = tempDir('hookgate-doctor-')
    mkdirSync(join(dir, 'bin'))
    mkdirSync(join(dir, 'home'))
    await use(dir)
    cleanup()
  }
})

function config (agent: string, extra = ''): string {
  return `
state_dir: ./state
agent: ${agent}
commands:
  run: { prompt: "{args}" }
callers:
  ci:
    scheme: hmac-sha256
    secrets: ["${SECRET}"]
    commands: [run]
    default_command: run
${extra}`
}

function write (dir: string, name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** A fake agent CLI: a node script on the test's PATH that answers --version its own way. */
function fakeCli (dir: string, name: string, body: string): string {
  const path = join(dir, 'bin', name)
  writeFileSync(path, `#!/usr/bin/env node\n${body}\n`, { mode: 0o755 })
  return path
}

function privateState (dir: string): string {
  const state = join(dir, 'state')
  mkdirSync(state, { mode: 0o700 })
  chmodSync(state, 0o700)
  return state
}

async function doctor (dir: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return await runCli(['doctor', ...args], {
    cwd: dir,
    env: { PATH: `${join(dir, 'bin')}:${NODE_DIR}`, HOME: join(dir, 'home'), ...env }
  })
}

/** The printed lines with the given mark and group, e.g. lines(r, 'fail', 'agent'). */
function lines (r: CliResult, status: string, group: string): string[] {
  return r.stdout.split('\n').filter((line) => line.startsWith(`[${status}]`) && line.slice(7).startsWith(`${group} `))
}

afterAll(async () => {
  await stopAllRedis()
})

// Several tests run doctor more than once, each a Node start on a possibly busy machine.
describe.concurrent('hookgate doctor', { timeout: 60_000 }, () => {
  test('a good config: every check passes, ASCII marks in a pipe, exit 0, no secret printed', async ({ dir }) => {
    fakeCli(dir, 'claude', 'console.log("9.9.9 (Claude Code)")')
    const state = privateState(dir)
    writeFileSync(join(state, 'hookgate.db'), '', { mode: 0o600 })
    const path = write(dir, 'hookgate.yaml', config('{ profile: claude, env: [ANTHROPIC_API_KEY] }'))
    const r = await doctor(dir, ['--config', path], { ANTHROPIC_API_KEY: API_KEY })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^\[ok\] {3}node {5}Node\.js 24\./m)
    expect(lines(r, 'ok', 'config')[0]).toContain(`${path} loads (found through --config)`)
    expect(lines(r, 'ok', 'agent')[0]).toContain(`claude 9.9.9 (Claude Code) (${join(dir, 'bin', 'claude')})`)
    expect(lines(r, 'ok', 'auth')[0]).toContain('ANTHROPIC_API_KEY is set and passed to the agent through /agent/env')
    expect(lines(r, 'ok', 'state')[0]).toContain(`state directory ${state}: mode 0700`)
    expect(lines(r, 'info', 'state')[0]).toContain('no running hookgate uses this state directory')
    expect(lines(r, 'ok', 'network')[0]).toContain('listens on 127.0.0.1:8787: this machine only')
    expect(lines(r, 'ok', 'clock')[0]).toContain('skew not measured')
    expect(r.stdout).not.toMatch(/\[(warn|fail)\]/)
    expect(r.stdout).toMatch(/No problems found\.\n$/)
    expect(r.stdout).not.toMatch(/[✓✗]/)
    expect(r.stdout + r.stderr).not.toContain(API_KEY)
  })

  test('a missing agent CLI fails with the fix; a broken one and a missing sandbox are reported; exit 1', async ({ dir }) => {
    fakeCli(dir, 'gemini', 'process.stderr.write("boom: cannot start\\n"); process.exit(3)')
    const path = write(dir, 'hookgate.yaml', config('{ profile: codex }', `
  review:
    scheme: hmac-sha256
    secrets: ["abcdef0123456789abcdef0123456789"]
    commands: [run]
    default_command: run
    agent: { profile: gemini, sandbox: bwrap }
  script:
    scheme: hmac-sha256
    secrets: ["fedcba9876543210fedcba9876543210"]
    commands: [run]
    default_command: run
    agent: { profile: command, argv: ["${join(dir, 'no-such-agent')}", "{prompt}"] }
`))
    const r = await doctor(dir, ['--config', path])
    expect(r.code, r.stdout + r.stderr).toBe(1)
    const failed = lines(r, 'fail', 'agent')
    expect(failed.find((l) => l.includes('"codex" is not on PATH'))).toContain('the global agent (used by ci)')
    expect(r.stdout).toMatch(/"codex" is not on PATH.*\n\s+fix: install the codex CLI \(npm install -g @openai\/codex\)/)
    expect(failed.find((l) => l.includes('no-such-agent'))).toMatch(/caller script's agent: ".*no-such-agent" does not exist or is not executable/)
    expect(lines(r, 'warn', 'agent')[0]).toMatch(/caller review's agent: .*gemini found, but `gemini --version` exited with 3: boom: cannot start/)
    expect(lines(r, 'fail', 'sandbox')[0]).toContain('sandbox: bwrap for caller review\'s agent, but bwrap (bubblewrap) is not on PATH')
    expect(r.stdout).toMatch(/\d+ problems?, \d+ warnings?\.\n$/)
  })

  test('a key in the environment but not in agent.env is a warning; the value is never printed', async ({ dir }) => {
    fakeCli(dir, 'claude', 'console.log("9.9.9 (Claude Code)")')
    const path = write(dir, 'hookgate.yaml', config('{ profile: claude, state: shared }'))
    const r = await doctor(dir, ['--config', path], { ANTHROPIC_API_KEY: API_KEY })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const warned = lines(r, 'warn', 'auth')
    expect(warned[0]).toContain('ANTHROPIC_API_KEY is set here but not listed in /agent/env: the agent will not see it')
    expect(warned[1]).toContain(`no login in ${join(dir, 'home', '.claude')}`)
    expect(r.stdout).toContain('fix: add it to the list: env: [ANTHROPIC_API_KEY] under /agent')
    expect(r.stdout + r.stderr).not.toContain(API_KEY)
  })

  test('per_caller state: a login in ~/.claude does not apply; a login in the caller\'s own directory does', async ({ dir }) => {
    fakeCli(dir, 'claude', 'console.log("9.9.9 (Claude Code)")')
    mkdirSync(join(dir, 'home', '.claude'))
    writeFileSync(join(dir, 'home', '.claude', '.credentials.json'), '{}', { mode: 0o600 })
    const path = write(dir, 'hookgate.yaml', config('{ profile: claude }'))

    const before = await doctor(dir, ['--config', path])
    expect(before.code, before.stdout + before.stderr).toBe(0)
    const warned = lines(before, 'warn', 'auth')[0]
    expect(warned).toContain('no credentials for caller ci: agent.state per_caller gives each caller its own CLAUDE_CONFIG_DIR')
    expect(warned).toContain(`your login in ${join(dir, 'home', '.claude', '.credentials.json')} does not apply`)
    expect(before.stdout).toMatch(/fix: set ANTHROPIC_API_KEY in hookgate's environment and list it in \/agent\/env, or set \/agent\/state: shared/)

    const own = join(dir, 'state', 'agents', 'claude', 'ci')
    mkdirSync(own, { recursive: true, mode: 0o700 })
    writeFileSync(join(own, '.credentials.json'), '{}', { mode: 0o600 })
    const after = await doctor(dir, ['--config', path])
    expect(lines(after, 'warn', 'auth')).toEqual([])
    expect(lines(after, 'ok', 'auth')[0]).toContain('logged in for each caller')

    const shared = write(dir, 'shared.yaml', config('{ profile: claude, state: shared }'))
    const sharedRun = await doctor(dir, ['--config', shared])
    expect(lines(sharedRun, 'ok', 'auth')[0]).toContain(`logged in (${join(dir, 'home', '.claude', '.credentials.json')})`)
  })

  test('a state directory others can read fails, naming the files and the chmod; inside a private one they only warn', async ({ dir }) => {
    const state = join(dir, 'state')
    mkdirSync(state)
    chmodSync(state, 0o755)
    writeFileSync(join(state, 'hookgate.db'), '')
    chmodSync(join(state, 'hookgate.db'), 0o644)
    writeFileSync(join(state, 'link.key'), 'x', { mode: 0o600 })
    chmodSync(join(state, 'link.key'), 0o640)
    const path = write(dir, 'hookgate.yaml', config('{ profile: demo }'))

    const open = await doctor(dir, ['--config', path])
    expect(open.code, open.stdout + open.stderr).toBe(1)
    const failed = lines(open, 'fail', 'state')
    expect(failed[0]).toContain(`state directory ${state} is open to other users (mode 0755)`)
    expect(failed[1]).toContain('files other users can read: hookgate.db (0644), link.key (0640)')
    expect(open.stdout).toContain(`fix: chmod 700 ${state}`)
    expect(open.stdout).toContain(`fix: chmod go-rwx ${join(state, 'hookgate.db')} ${join(state, 'link.key')}`)

    chmodSync(state, 0o700)
    const closed = await doctor(dir, ['--config', path])
    expect(closed.code, closed.stdout).toBe(0)
    expect(lines(closed, 'warn', 'state')[0]).toContain('files other users could read if the directory were opened: hookgate.db (0644), link.key (0640)')
  })

  test('listening on a public address without an https public_url warns; trust_proxy: true warns; exit 0', async ({ dir }) => {
    const exposed = write(dir, 'exposed.yaml', config('{ profile: demo }', 'server: { host: 0.0.0.0, trust_proxy: true }\n'))
    const r = await doctor(dir, ['--config', exposed])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const warned = lines(r, 'warn', 'network')
    expect(warned[0]).toContain('listens on 0.0.0.0:8787: reachable from other machines over plain HTTP and no server.public_url')
    expect(warned[1]).toContain('trust_proxy: true')
    expect(r.stdout).toContain('fix: put a TLS reverse proxy in front and set server.public_url')
    // The config's own warnings about the same keys are not repeated.
    expect(lines(r, 'warn', 'config').filter((l) => l.includes('/server/'))).toEqual([])

    const proxied = write(dir, 'proxied.yaml', config('{ profile: demo }', 'server: { host: 0.0.0.0, public_url: "https://hooks.example.com" }\n'))
    const ok = await doctor(dir, ['--config', proxied])
    expect(lines(ok, 'warn', 'network')).toEqual([])
    expect(lines(ok, 'ok', 'network')[0]).toContain('callers use https://hooks.example.com')
  })

  test('a twilio caller without server.public_url fails; with one it passes', async ({ dir }) => {
    const twilio = `
  sms:
    scheme: twilio
    secrets: ["abcdef0123456789abcdef0123456789"]
    users: ["+15551234567"]
    commands: [run]
    default_command: run
    reply: { account_sid: ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa }
`
    const without = write(dir, 'without.yaml', config('{ profile: demo }', twilio))
    const r = await doctor(dir, ['--config', without])
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expect(lines(r, 'fail', 'network')[0]).toContain('twilio caller sms but no server.public_url')
    expect(r.stdout).toContain('fix: set server.public_url to the https:// address Twilio posts to')

    const withUrl = write(dir, 'with.yaml', `server: { public_url: "https://hooks.example.com" }\n${config('{ profile: demo }', twilio)}`)
    const ok = await doctor(dir, ['--config', withUrl])
    expect(ok.code, ok.stdout).toBe(0)
    expect(lines(ok, 'fail', 'network')).toEqual([])
  })

  test('a redis store: PING with the password, version, settings and Redis TIME as the clock; no password printed', async ({ dir }) => {
    const password = 'doctor-redis-pass-7f3e'
    const redis = await startRedis({ password })
    const path = write(dir, 'hookgate.yaml', config('{ profile: demo }', `store: ${redis.url}\nredis: { password: "\${REDIS_PASSWORD}" }\n`))
    const r = await doctor(dir, ['--config', path], { REDIS_PASSWORD: password })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(lines(r, 'ok', 'redis')[0]).toMatch(new RegExp(`Redis at redis://127\\.0\\.0\\.1:${redis.port}/? answers PING \\(\\d+ ms to connect and answer\\), version \\d+\\.\\d+`))
    // The test server runs without an append-only file and with the default eviction policy.
    expect(lines(r, 'warn', 'redis')[0]).toContain('appendonly no')
    expect(lines(r, 'ok', 'redis')[1]).toContain('maxmemory-policy noeviction')
    expect(lines(r, 'ok', 'clock')[0]).toMatch(/the system clock is \d+ ms (ahead of|behind) Redis TIME/)

    const inUrl = write(dir, 'in-url.yaml', config('{ profile: demo }', `store: redis://:${password}@127.0.0.1:${redis.port}\n`))
    const viaUrl = await doctor(dir, ['--config', inUrl])
    expect(viaUrl.code, viaUrl.stdout).toBe(0)
    expect(lines(viaUrl, 'ok', 'redis')[0]).toContain('answers PING')

    const wrong = write(dir, 'wrong.yaml', config('{ profile: demo }', `store: redis://:not-the-${password}@127.0.0.1:${redis.port}\n`))
    const refused = await doctor(dir, ['--config', wrong])
    expect(refused.code).toBe(1)
    expect(lines(refused, 'fail', 'redis')[0]).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/? cannot be used: WRONGPASS/)
    expect(refused.stdout).toContain('fix: set redis.password')
    expect(lines(refused, 'ok', 'clock')[0]).toContain('skew not measured (Redis did not answer)')

    for (const run of [r, viaUrl, refused]) expect(run.stdout + run.stderr).not.toContain(password)
  })

  test('a Redis that refuses CONFIG is an info line, not a failure; appendonly yes passes', async ({ dir }) => {
    const hardened = await startRedisWith(dir, ['--rename-command', 'CONFIG', ''])
    const persistent = await startRedisWith(dir, ['--appendonly', 'yes'])
    try {
      const [refusing, durable] = await Promise.all([hardened, persistent].map(async (redis) => {
        const path = write(dir, `redis-${redis.port}.yaml`, config('{ profile: demo }', `store: redis://127.0.0.1:${redis.port}\n`))
        return await doctor(dir, ['--config', path])
      }))
      expect(refusing?.code, refusing?.stdout).toBe(0)
      expect(lines(refusing!, 'info', 'redis')[0]).toContain('CONFIG GET is refused (ERR unknown command')
      expect(lines(refusing!, 'warn', 'redis')).toEqual([])
      expect(durable?.code, durable?.stdout).toBe(0)
      expect(lines(durable!, 'ok', 'redis').join('\n')).toContain('appendonly yes')
      expect(lines(durable!, 'warn', 'redis')).toEqual([])
    } finally {
      hardened.stop()
      persistent.stop()
    }
  })

  test('execution: workers: an agent this machine cannot run is a warning, since a gateway never starts one', async ({ dir }) => {
    const redis = await startRedis()
    const path = write(dir, 'hookgate.yaml', config('{ profile: codex }', `store: ${redis.url}\nexecution: workers\n`))
    const r = await doctor(dir, ['--config', path])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(lines(r, 'info', 'agent')[0]).toContain('execution: workers')
    expect(lines(r, 'warn', 'agent')[0]).toContain('"codex" is not on PATH; runs will fail until it is (a failure on a machine that runs `hookgate worker`)')
    expect(lines(r, 'fail', 'agent')).toEqual([])
  })

  test('a redis store nobody answers on fails within redis.timeout_ms, not after the 30 s a gateway waits', async ({ dir }) => {
    // A closed port, and a server that accepts connections and never answers.
    const closedPort = await freePort()
    const sockets = new Set<Socket>()
    const silent: Server = createServer((socket) => { sockets.add(socket) })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const silentPort = (silent.address() as { port: number }).port
    try {
      await Promise.all([closedPort, silentPort].map(async (port) => {
        const path = write(dir, `r${port}.yaml`, config('{ profile: demo }', `store: redis://127.0.0.1:${port}\nredis: { timeout_ms: 400 }\n`))
        const started = performance.now()
        const r = await doctor(dir, ['--config', path])
        const elapsed = performance.now() - started
        expect(r.code, r.stdout + r.stderr).toBe(1)
        expect(lines(r, 'fail', 'redis')[0]).toContain(`Redis at redis://127.0.0.1:${port}`)
        expect(r.stdout).toContain('timeout_ms (400 ms now)')
        // Node's own start is most of this; waiting like a gateway (30 s) or for ever would be far beyond it.
        expect(elapsed).toBeLessThan(20_000)
      }))
    } finally {
      for (const socket of sockets) socket.destroy()
      silent.close()
    }
  })

  test('--json: an array of {group, status, message, fix?, details?}; the exit code follows the failures', async ({ dir }) => {
    const bad = write(dir, 'bad.yaml', config('{ profile: codex }'))
    const failing = await doctor(dir, ['--config', bad, '--json'])
    expect(failing.code).toBe(1)
    const checks = JSON.parse(failing.stdout) as Array<Record<string, unknown>>
    expect(Array.isArray(checks)).toBe(true)
    for (const check of checks) {
      expect(Object.keys(check).every((k) => ['group', 'status', 'message', 'fix', 'details'].includes(k))).toBe(true)
      expect(['node', 'config', 'agent', 'sandbox', 'auth', 'state', 'network', 'clock', 'redis']).toContain(check.group)
      expect(['ok', 'warn', 'fail', 'info']).toContain(check.status)
      expect(typeof check.message).toBe('string')
      if (check.fix !== undefined) expect(typeof check.fix).toBe('string')
    }
    expect(checks.find((c) => c.group === 'agent' && c.status === 'fail')).toMatchObject({ message: expect.stringContaining('"codex" is not on PATH'), fix: expect.stringContaining('@openai/codex') })

    const good = write(dir, 'good.yaml', config('{ profile: demo }'))
    const passing = await doctor(dir, ['--config', good, '--json'])
    expect(passing.code, passing.stdout).toBe(0)
    const ok = JSON.parse(passing.stdout) as Array<{ status: string }>
    expect(ok.some((c) => c.status === 'fail')).toBe(false)
  })

  test('a config that does not load is one failed check listing its problems; exit 1', async ({ dir }) => {
    const path = write(dir, 'broken.yaml', config('{ profile: demo }').replace(`["${SECRET}"]`, '["short"]').replace('commands: [run]', 'commands: [run, nosuch]'))
    const r = await doctor(dir, ['--config', path])
    expect(r.code).toBe(1)
    expect(lines(r, 'fail', 'config')[0]).toContain(`${path} does not load: 2 problems`)
    expect(r.stdout).toMatch(/^ +\/callers\/ci\/secrets\/0: .*16/m)
    expect(r.stdout).toMatch(/^ +\/callers\/ci\/commands\/1: .*nosuch/m)
    // Nothing that needs a config is checked.
    expect(r.stdout).not.toMatch(/^\[\w+\] +(agent|state|network|clock) /m)
  })

  test('no config file: the quick-start default is checked without creating anything; $HOOKGATE_CONFIG is honoured', async ({ dir }) => {
    const r = await doctor(dir, [])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(lines(r, 'ok', 'config')[0]).toContain('the quick-start default')
    expect(lines(r, 'info', 'agent')[0]).toContain('demo agent')
    expect(lines(r, 'ok', 'state')[0]).toContain(`${join(dir, '.hookgate')} does not exist yet`)
    expect(existsSync(join(dir, '.hookgate'))).toBe(false)
    expect(readdirSync(dir).sort()).toEqual(['bin', 'home'])

    const viaEnv = write(dir, 'elsewhere.yaml', config('{ profile: demo }'))
    const found = await doctor(dir, [], { HOOKGATE_CONFIG: viaEnv })
    expect(lines(found, 'ok', 'config')[0]).toContain(`${viaEnv} loads (found through $HOOKGATE_CONFIG)`)
  })

  test('a running gateway on the same state directory is reported as fine', async ({ dir }) => {
    const gateway = await startGateway(VALID_CONFIG)
    try {
      const r = await doctor(dir, ['--config', join(gateway.dir, 'hookgate.yaml')])
      expect(lines(r, 'info', 'state').join('\n')).toMatch(/a running hookgate \(pid \d+\) uses this state directory: fine, doctor only reads it/)
    } finally {
      await gateway.stop()
    }
  })

  test('an unknown flag is a usage error (exit 2)', async ({ dir }) => {
    const r = await doctor(dir, ['--frobnicate'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--frobnicate')
  })
})

/** A redis-server with extra arguments the shared helper does not take; stopped by the test itself. */
async function startRedisWith (dir: string, args: string[]): Promise<{ port: number, stop: () => void }> {
  const port = await freePort()
  const data = join(dir, `redis-${port}`)
  mkdirSync(data)
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', data, '--save', '', '--daemonize', 'no', ...args], { stdio: 'ignore' })
  const stop = (): void => { child.kill('SIGKILL') }
  const deadline = performance.now() + 10_000
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || performance.now() > deadline) {
      stop()
      throw new Error(`redis-server ${args.join(' ')} did not start on port ${port}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { port, stop }
}

async function answersPing (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    let text = ''
    socket.setTimeout(1000, () => socket.destroy())
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      text += chunk.toString()
      if (text.includes('+PONG')) socket.end()
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(text.includes('+PONG')))
  })
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
