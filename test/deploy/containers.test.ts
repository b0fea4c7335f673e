// The container setup, checked without a Docker engine: the image's entrypoint run as a plain
// script (its paths pointed at temporary directories and at this checkout), docker-compose.yml
// rendered and validated by docker-compose itself, and the Dockerfile read instruction by instruction.
import { execFileSync, type ChildProcess } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { BIN, chaosConfig } from '../helpers/gateway-process.ts'
import { SERVE_NODE_FLAGS } from '../../src/cli/serve-node-flags.ts'
import { execForm, parseDockerfile, type Instruction } from './dockerfile-instructions.ts'
import { runScript, type ScriptResult } from './run-script.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ENTRYPOINT = join(ROOT, 'deploy/docker-entrypoint.sh')
const IMAGE_UID = 10001
const STATE_DIR = '/var/lib/hookgate'
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE|CREDENTIAL/i

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookgate-deploy-'))
  // The image's uid must be able to reach the files below when a test runs the script as it.
  chmodSync(dir, 0o755)
})
afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

describe('deploy/docker-entrypoint.sh outside Docker', () => {
  interface Layout { config: string, state: string, env: Record<string, string> }

  /** A valid config and a writable state directory, with the script's paths pointed at them. */
  function layout (): Layout {
    const state = join(dir, 'state')
    mkdirSync(state, { mode: 0o755 })
    const config = join(dir, 'hookgate.yaml')
    writeFileSync(config, `state_dir: ${JSON.stringify(state)}\n${chaosConfig()}`)
    return {
      config,
      state,
      env: { HOME: dir, HOOKGATE_CONFIG: config, HOOKGATE_STATE_DIR: state, HOOKGATE_NODE: process.execPath, HOOKGATE_BIN: BIN }
    }
  }

  /**
   * Runs the entrypoint as the image's uid. Root passes every permission check, so a test running
   * as root switches to uid 10001 (as the container does) on a copy of the script it can read.
   */
  async function asImageUser (args: string[], env: Record<string, string>): Promise<ScriptResult> {
    if (process.getuid?.() !== 0) return await runScript(ENTRYPOINT, args, { env })
    const copy = join(dir, 'docker-entrypoint.sh')
    copyFileSync(ENTRYPOINT, copy)
    chmodSync(copy, 0o755)
    return await runScript('setpriv', [`--reuid=${IMAGE_UID}`, `--regid=${IMAGE_UID}`, '--clear-groups', copy, ...args], { env })
  }

  it('is an executable file (the image runs it directly)', () => {
    expect(statSync(ENTRYPOINT).mode & 0o111, 'chmod +x deploy/docker-entrypoint.sh').toBe(0o111)
    expect(readFileSync(ENTRYPOINT, 'utf8').split('\n')[0]).toBe('#!/bin/sh')
  })

  it('no config file: exit 64, naming the path and how to mount it, before hookgate starts', async () => {
    const { env } = layout()
    const missing = join(dir, 'not-mounted.yaml')
    const r = await runScript(ENTRYPOINT, ['serve', '--config', missing, '--port', '0'], { env })
    expect(r.code, r.stderr).toBe(64)
    expect(r.stderr).toContain(`no config file at ${missing}`)
    expect(r.stderr).toMatch(/-v "\$PWD\/hookgate\.yaml:.*:ro"/)
    expect(r.stdout + r.stderr).not.toMatch(/listening/)
  })

  it('HOOKGATE_CONFIG is the file checked when the arguments name none', async () => {
    const { env } = layout()
    const missing = join(dir, 'elsewhere.yaml')
    const r = await runScript(ENTRYPOINT, ['worker'], { env: { ...env, HOOKGATE_CONFIG: missing } })
    expect(r.code, r.stderr).toBe(64)
    expect(r.stderr).toContain(missing)
  })

  it('a directory where the config should be (a missing bind-mount source): exit 64 and why', async () => {
    const { env } = layout()
    const asDir = join(dir, 'as-dir.yaml')
    mkdirSync(asDir)
    const r = await runScript(ENTRYPOINT, ['serve', `--config=${asDir}`], { env })
    expect(r.code, r.stderr).toBe(64)
    expect(r.stderr).toContain(`${asDir} is a directory`)
  })

  it('a config the image user cannot read: exit 64', async () => {
    const { env, config } = layout()
    chmodSync(config, 0o000)
    const r = await asImageUser(['check', '--config', config], env)
    expect(r.code, r.stderr).toBe(64)
    expect(r.stderr).toContain(`${config} exists but uid`)
  })

  it('a state directory the image user cannot write: exit 73, about the volume and uid 10001', async () => {
    const { env, config, state } = layout()
    chmodSync(state, 0o555)
    const r = await asImageUser(['serve', '--config', config, '--port', '0'], env)
    expect(r.code, r.stderr).toBe(73)
    expect(r.stderr).toContain(`cannot write to the state directory ${state}`)
    expect(r.stderr).toContain('-v hookgate-state:')
    expect(r.stderr).toContain('uid 10001')
    expect(r.stdout + r.stderr).not.toMatch(/listening/)
  })

  it('no state directory at all: exit 73', async () => {
    const { env, config } = layout()
    const r = await runScript(ENTRYPOINT, ['worker', '--config', config], { env: { ...env, HOOKGATE_STATE_DIR: join(dir, 'no-volume') } })
    expect(r.code, r.stderr).toBe(73)
    expect(r.stderr).toContain('does not exist')
  })

  it('a good layout: execs hookgate with the arguments (`check --config`, exit 0)', async () => {
    const { env, config } = layout()
    const r = await runScript(ENTRYPOINT, ['check', '--config', config], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`✓ ${config}: OK`)
    // Without --config, hookgate reads the file the script checked (HOOKGATE_CONFIG is exported).
    const implicit = await runScript(ENTRYPOINT, ['check'], { env, cwd: dir })
    expect(implicit.code, implicit.stderr).toBe(0)
    expect(implicit.stdout).toContain(`✓ ${config}: OK`)
    // Options go to hookgate too.
    const version = await runScript(ENTRYPOINT, ['--version'], { env })
    expect(version.stdout).toMatch(/^hookgate \d+\.\d+\.\d+/)
  })

  it('serve: the entrypoint process becomes node (exec), answers /healthz, and SIGTERM reaches hookgate, which drains and exits 0', async () => {
    const { env, config, state } = layout()
    let up: (v: { url: string, exe: string, child: ChildProcess }) => void = () => {}
    const listening = new Promise<{ url: string, exe: string, child: ChildProcess }>((resolve) => { up = resolve })
    let seen = false
    let group = 0
    const done = runScript(ENTRYPOINT, ['serve', '--config', config, '--host', '127.0.0.1', '--port', '0'], {
      env,
      timeoutMs: 20_000,
      detached: true,
      onSpawn: (child) => { group = child.pid ?? 0 },
      onOutput: (child, output) => {
        const match = /hookgate listening on (http:\/\/\S+)/.exec(output)
        if (match === null || seen) return
        seen = true
        up({ url: match[1] as string, exe: readlinkSync(`/proc/${child.pid}/exe`), child })
      }
    })
    try {
      const { url, exe, child } = await Promise.race([
        listening,
        done.then((r) => { throw new Error(`exited (${r.code}) before listening:\n${r.stdout}${r.stderr}`) })
      ])
      // The pid the script started with is now node itself: no shell stays between Docker and hookgate.
      expect(exe).toBe(realpathSync(process.execPath))
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
      child.kill('SIGTERM')
      const r = await done
      expect(r.signal).toBeNull()
      expect(r.code, r.stderr).toBe(0)
    } finally {
      // Without exec, the shell would take the signal and leave hookgate running: end the whole group.
      if (group > 0) try { process.kill(-group, 'SIGKILL') } catch {}
    }
    // The write check cleaned up after itself; what is left is hookgate's own.
    expect(readdirSync(state).filter((f) => f.startsWith('.entrypoint-write-check'))).toEqual([])
  })

  it('every command `hookgate --help` lists goes to hookgate, with its arguments', async () => {
    const { env, config } = layout()
    const help = await runScript(process.execPath, [BIN, '--help'], { env })
    const commands = [...help.stdout.split('Commands:\n')[1]!.split('\n\n')[0]!.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1] as string)
    expect(commands).toEqual(expect.arrayContaining(['serve', 'worker', 'check', 'send']))
    // echo in node's place shows what would have been run.
    for (const command of [...commands, 'help']) {
      const r = await runScript(ENTRYPOINT, [command, '--config', config], { env: { ...env, HOOKGATE_NODE: 'echo' } })
      expect(r.code, `${command}: ${r.stderr}`).toBe(0)
      // serve alone gets the gateway's Node flags, before the entry file (src/cli/serve-node-flags.ts).
      const flags = command === 'serve' ? `${SERVE_NODE_FLAGS.join(' ')} ` : ''
      expect(r.stdout, command).toBe(`${flags}${BIN} ${command} --config ${config}\n`)
    }
  })

  it('anything that is not a hookgate command runs as given, unchecked (`docker run IMAGE sh`)', async () => {
    const env = { HOOKGATE_CONFIG: join(dir, 'missing.yaml'), HOOKGATE_STATE_DIR: join(dir, 'missing') }
    const hi = await runScript(ENTRYPOINT, ['sh', '-c', 'echo hi'], { env })
    expect(hi.code, hi.stderr).toBe(0)
    expect(hi.stdout).toBe('hi\n')
    expect(hi.stderr).toBe('')
    const code = await runScript(ENTRYPOINT, ['sh', '-c', 'exit 5'], { env })
    expect(code.code).toBe(5)
  })
})

describe('docker-compose.yml, rendered by docker-compose', () => {
  type Service = Record<string, any>

  /** docker-compose with only PATH, HOME and `env`: a ./.env or the shell's variables play no part. */
  async function compose (args: string[], env: Record<string, string> = {}): Promise<ScriptResult> {
    const emptyEnvFile = join(dir, 'empty.env')
    writeFileSync(emptyEnvFile, '')
    return await runScript('docker-compose', ['--env-file', emptyEnvFile, '-f', 'docker-compose.yml', ...args], {
      cwd: ROOT,
      env: { HOME: dir, ...env },
      timeoutMs: 30_000
    })
  }

  async function render (env: Record<string, string> = {}): Promise<{ services: Record<string, Service>, volumes: Record<string, unknown> }> {
    const r = await compose(['config'], env)
    expect(r.code, r.stderr).toBe(0)
    return parse(r.stdout)
  }

  /** The services built from this repository: the gateway, the scale profile's gateways and worker. */
  function hookgateServices (services: Record<string, Service>): Array<[string, Service]> {
    const root = realpathSync(ROOT)
    return Object.entries(services).filter(([, s]) => s.build !== undefined && realpathSync(s.build.context) === root)
  }

  /** Every variable the file takes by name, with a dummy value each. */
  function dummies (services: Record<string, Service>): Record<string, string> {
    const names = new Set<string>()
    for (const s of Object.values(services)) {
      for (const [name, value] of Object.entries(s.environment ?? {})) if (value === null) names.add(name)
    }
    return Object.fromEntries([...names].map((name) => [name, `dummy-${name.toLowerCase()}-4f9c2a`]))
  }

  it('validates (config -q) with its variables set, with and without --profile scale, and warns about none', async () => {
    const vars = { ...dummies((await render()).services), AGENT_PACKAGE: '@anthropic-ai/claude-code' }
    expect(Object.keys(vars).length).toBeGreaterThan(1)
    for (const profile of [[], ['--profile', 'scale']]) {
      const r = await compose([...profile, 'config', '-q'], vars)
      expect(r.code, `${profile.join(' ')}: ${r.stderr}`).toBe(0)
      expect(r.stderr).not.toMatch(/not set|WARNING|ERROR/i)
    }
    const scale = await compose(['--profile', 'scale', 'config', '--services'], vars)
    expect(scale.code, scale.stderr).toBe(0)
    expect(scale.stdout.split('\n')).toEqual(expect.arrayContaining(['hookgate', 'redis', 'worker']))
    // The build argument reaches every image build.
    for (const [, s] of hookgateServices((await render(vars)).services)) {
      expect(s.build.args.AGENT_PACKAGE).toBe('@anthropic-ai/claude-code')
    }
  })

  it('every hookgate service: read-only root, no capabilities, no-new-privileges, init, /tmp tmpfs, its own state volume, a /healthz check except the worker', async () => {
    const { services, volumes } = await render()
    const ours = hookgateServices(services)
    expect(ours.map(([name]) => name)).toEqual(expect.arrayContaining(['hookgate', 'worker']))
    const stateVolumes: string[] = []
    for (const [name, s] of ours) {
      const where = `service ${name}`
      expect(s.read_only, where).toBe(true)
      expect(s.cap_drop, where).toContain('ALL')
      expect(s.security_opt, where).toEqual(expect.arrayContaining([expect.stringMatching(/^no-new-privileges(:true)?$/)]))
      expect(s.init, where).toBe(true)
      expect(s.tmpfs, where).toEqual(expect.arrayContaining(['/tmp']))
      const mounts = (s.volumes as string[]).map((v) => v.split(':'))
      const state = mounts.find(([, target]) => target === STATE_DIR)
      expect(state, `${where}: a volume at ${STATE_DIR}`).toBeDefined()
      const source = state![0] as string
      expect(Object.keys(volumes), `${where}: ${source} is a named volume`).toContain(source)
      stateVolumes.push(source)
      // docker-compose renders `disable: true` as `test: [NONE]`.
      const disabled = s.healthcheck === undefined || s.healthcheck.disable === true || s.healthcheck.test?.[0] === 'NONE'
      if ((s.command ?? [])[0] === 'worker') {
        expect(disabled, `${where}: no HTTP listener, so no HTTP check`).toBe(true)
      } else {
        expect(disabled, where).toBe(false)
        expect((s.healthcheck.test as string[]).join(' '), where).toContain('/healthz')
      }
    }
    // Each process holds a lock on its state directory: two services on one volume would fight over it.
    expect(new Set(stateVolumes).size).toBe(stateVolumes.length)
  })

  it('the config file each service loads is mounted read-only where the entrypoint looks', async () => {
    const cmd = execForm(parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).filter((i) => i.name === 'CMD').at(-1)!.args)!
    for (const [name, s] of hookgateServices((await render()).services)) {
      const argv: string[] = s.command ?? cmd
      const config = argv[argv.indexOf('--config') + 1]
      expect(argv, name).toContain('--config')
      const mount = (s.volumes as string[]).map((v) => v.split(':')).find(([, target]) => target === config)
      expect(mount, `${name}: ${config} mounted`).toBeDefined()
      expect(mount![2], `${name}: ${config} read-only`).toBe('ro')
    }
  })

  it('no secret value is written in the file: secrets are passed by name, and only into environment', async () => {
    const bare = await render()
    for (const [name, s] of Object.entries(bare.services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (SECRET_NAME.test(key)) expect(value, `${name}: ${key} must be a name only`).toBeNull()
      }
      for (const key of Object.keys(s.build?.args ?? {})) expect(key, `${name}: build argument`).not.toMatch(SECRET_NAME)
    }
    // With values in the environment, they may appear only as that environment, never spliced into
    // a command, a healthcheck or a label (where `docker inspect` and process lists show them).
    const vars = dummies(bare.services)
    const filled = await render(vars)
    for (const [name, s] of Object.entries(filled.services)) {
      const { environment, ...rest } = s
      const text = JSON.stringify(rest)
      for (const value of Object.values(vars)) expect(text, `${name} contains ${value}`).not.toContain(value)
    }
  })
})

describe('Dockerfile', () => {
  const instructions = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
  const lastStage = Math.max(...instructions.map((i) => i.stage))
  const final = instructions.filter((i) => i.stage === lastStage)
  const all = (name: string): Instruction[] => instructions.filter((i) => i.name === name)

  it('is multi-stage: dependencies are installed in a stage of their own and copied into the final one', () => {
    expect(all('FROM').length).toBeGreaterThanOrEqual(2)
    const stageName = /\bAS\s+(\S+)/i.exec(all('FROM')[0]!.args)?.[1]
    expect(stageName).toBeDefined()
    expect(final.some((i) => i.name === 'COPY' && i.args.includes(`--from=${stageName}`) && i.args.includes('node_modules'))).toBe(true)
  })

  it('installs production dependencies only, from the lock file', () => {
    expect(all('RUN').some((i) => /\bnpm ci\b[^&;|]*--omit=dev/.test(i.args))).toBe(true)
    expect(all('RUN').some((i) => /\bnpm (install|i)\b(?![^&;|]*-g)/.test(i.args))).toBe(false)
  })

  it('runs as a numeric non-root user', () => {
    const user = final.filter((i) => i.name === 'USER').at(-1)
    expect(user).toBeDefined()
    const match = /^(\d+)(?::(\d+))?$/.exec(user!.args)
    expect(match, `USER ${user!.args}`).not.toBeNull()
    expect(Number(match![1])).toBe(IMAGE_UID)
    expect(Number(match![2] ?? match![1])).not.toBe(0)
  })

  it('is read-only-root friendly: HOME and the state are the one volume', () => {
    expect(final.some((i) => i.name === 'VOLUME' && (execForm(i.args) ?? i.args.split(' ')).includes(STATE_DIR))).toBe(true)
    expect(final.some((i) => i.name === 'ENV' && new RegExp(`\\bHOME=${STATE_DIR}\\b`).test(i.args))).toBe(true)
    // The entrypoint's default state directory is that volume.
    expect(readFileSync(ENTRYPOINT, 'utf8')).toContain(`\${HOOKGATE_STATE_DIR:-${STATE_DIR}}`)
  })

  it('has a HEALTHCHECK on /healthz, on the port the default command listens on', () => {
    const health = final.find((i) => i.name === 'HEALTHCHECK')
    expect(health?.args).toMatch(/CMD/)
    const port = /127\.0\.0\.1:(\d+)\/healthz/.exec(health!.args)?.[1]
    expect(port).toBeDefined()
    const cmd = execForm(final.filter((i) => i.name === 'CMD').at(-1)!.args)!
    expect(cmd[cmd.indexOf('--port') + 1]).toBe(port)
  })

  it('takes ARG AGENT_PACKAGE and installs it when given', () => {
    expect(all('ARG').some((i) => /^AGENT_PACKAGE(=|$)/.test(i.args))).toBe(true)
    expect(all('RUN').some((i) => /npm install -g\b.*"\$AGENT_PACKAGE"/.test(i.args))).toBe(true)
  })

  it('copies the entrypoint, makes it executable and runs it, keeping CMD', () => {
    expect(final.some((i) => i.name === 'COPY' && /(^| )deploy\/(docker-entrypoint\.sh)? /.test(i.args) && /\/app\/deploy\/?$|\.\/deploy\/?$/.test(i.args))).toBe(true)
    expect(final.some((i) => (i.name === 'RUN' && /chmod 0?755 \/app\/deploy\/docker-entrypoint\.sh/.test(i.args)) ||
      (i.name === 'COPY' && /--chmod=0?755 .*docker-entrypoint\.sh/.test(i.args)))).toBe(true)
    expect(execForm(final.filter((i) => i.name === 'ENTRYPOINT').at(-1)!.args)).toEqual(['/app/deploy/docker-entrypoint.sh'])
    const cmd = execForm(final.filter((i) => i.name === 'CMD').at(-1)!.args)
    expect(cmd?.[0]).toBe('serve')
    expect(cmd).toContain('--config')
    // The CMD's config is the one the entrypoint checks by default.
    expect(readFileSync(ENTRYPOINT, 'utf8')).toContain(`\${HOOKGATE_CONFIG:-${cmd![cmd!.indexOf('--config') + 1]}}`)
    // Once committed, the mode in git must be 100755 too, so a checkout runs it outside Docker.
    const staged = execFileSync('git', ['ls-files', '-s', 'deploy/docker-entrypoint.sh'], { cwd: ROOT, encoding: 'utf8' })
    if (staged !== '') expect(staged.split(' ')[0]).toBe('100755')
  })
})
