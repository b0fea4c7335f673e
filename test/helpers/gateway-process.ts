// A real gateway as a child process (`node bin/hookgate.js serve`), for black-box reliability tests:
// it can be killed with any signal, restarted on the same state directory, and its agents found by
// the marker the gateway puts in their environment (HOOKGATE_RUN_ID=<run id>), setsid escapees
// included. Everything started here is killed (SIGKILL) and removed by cleanupGatewayProcesses(),
// which every test file calls in afterEach, so a failing test leaves nothing behind.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SERVE_NODE_FLAGS } from '../../src/cli/serve-node-flags.ts'
import { signHmacSha256 } from './sign.ts'

export const BIN = fileURLToPath(new URL('../../bin/hookgate.js', import.meta.url))
export const CHAOS_AGENT = fileURLToPath(new URL('../fixtures/chaos-agent.mjs', import.meta.url))

export const SECRET = '0123456789abcdef0123456789abcdef'
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef-reliability'

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  /** Date.now() when the child exited. */
  at: number
}

export interface GatewayProcess {
  url: string
  pid: number
  dir: string
  stateDir: string
  configPath: string
  /** Unique per gateway directory; every agent of it has CHAOS_TAG=<tag> in its environment. */
  tag: string
  /** The file the chaos agent appends a line to when it starts. */
  spawnLog: string
  /** Everything the child printed (stdout and stderr interleaved). */
  output: () => string
  kill: (signal?: NodeJS.Signals) => void
  exited: Promise<Exit>
  /** Starts a new gateway on the same directory and config (the old one must have exited). */
  restart: () => Promise<GatewayProcess>
}

export interface StartOptions {
  /** `worker`: `hookgate worker` (no HTTP; `url` is empty) instead of `hookgate serve`. */
  command?: 'serve' | 'worker'
  /** More arguments for the command (after `--config`). */
  args?: string[]
  /** Environment for the gateway (added to PATH, HOME and the chaos variables). */
  env?: Record<string, string>
  /** How long to wait for the "listening" line. */
  startTimeoutMs?: number
}

interface Tracked { child: ChildProcess, dir: string, tag: string }
const tracked: Tracked[] = []

/**
 * A config for the chaos agent: one hmac-sha256 caller `ci` (default command `run` = the text), an
 * admin token, and `agent.env` passing the chaos knobs through. `callers` adds caller entries (indented
 * under `callers:`); `extra` is appended (top-level keys).
 */
export function chaosConfig (opts: { concurrency?: number, queue?: number, shutdownGrace?: number, killGrace?: number, maxAge?: number, timeout?: number, callers?: string, extra?: string } = {}): string {
  return `
log: { level: warn }
admin_token: ${ADMIN_TOKEN}
shutdown_grace: ${opts.shutdownGrace ?? 2}
agent:
  profile: command
  argv: [${JSON.stringify(process.execPath)}, ${JSON.stringify(CHAOS_AGENT)}, "{prompt}"]
  timeout: ${opts.timeout ?? 60}
  kill_grace: ${opts.killGrace ?? 1}
  env: [CHAOS_TAG, CHAOS_SPAWN_LOG, CHAOS_STATE_DIR, CHAOS_LIFETIME_MS, CHAOS_DURATION_MS]
limits:
  concurrency: ${opts.concurrency ?? 3}
  queue: ${opts.queue ?? 5}
  sync_wait: 10
  per_address: { max: 100000, window: 60 }
commands:
  run: { prompt: "{args}" }
callers:
  ci:
    scheme: hmac-sha256
    secrets: ["${SECRET}"]
    max_age: ${opts.maxAge ?? 300}
    commands: [run]
    default_command: run
${opts.callers ?? ''}
${opts.extra ?? ''}`
}

/**
 * `hookgate serve --config <dir>/hookgate.yaml --port 0` in a fresh temporary directory, with
 * `state_dir: <dir>/state` put first in the config. Resolves once it prints its URL.
 */
export async function startGatewayProcess (yaml: string, opts: StartOptions = {}): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-rel-'))
  const stateDir = join(dir, 'state')
  const configPath = join(dir, 'hookgate.yaml')
  writeFileSync(configPath, `state_dir: ${JSON.stringify(stateDir)}\n${yaml}`)
  const tag = `rel-${randomBytes(6).toString('hex')}`
  return await launch({ dir, stateDir, configPath, tag, opts })
}

async function launch (at: { dir: string, stateDir: string, configPath: string, tag: string, opts: StartOptions }): Promise<GatewayProcess> {
  const { dir, stateDir, configPath, tag, opts } = at
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  const spawnLog = join(dir, 'spawns.jsonl')
  const worker = opts.command === 'worker'
  // A gateway gets the Node flags every launcher gives it (src/cli/serve-node-flags.ts).
  const child = spawn(process.execPath, worker ? [BIN, 'worker', '--config', configPath, ...(opts.args ?? [])] : [...SERVE_NODE_FLAGS, BIN, 'serve', '--config', configPath, '--port', '0', ...(opts.args ?? [])], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      CHAOS_TAG: tag,
      CHAOS_SPAWN_LOG: spawnLog,
      CHAOS_STATE_DIR: stateDir,
      CHAOS_LIFETIME_MS: '60000',
      ...opts.env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  tracked.push({ child, dir, tag })
  let output = ''
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start within ${opts.startTimeoutMs ?? 15_000} ms:\n${output}`)), opts.startTimeoutMs ?? 15_000)
    const onData = (chunk: string): void => {
      output += chunk
      const match = worker ? /hookgate worker \S+ taking runs/.exec(output) : /hookgate listening on (http:\/\/\S+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1] ?? '')
      }
    }
    child.stdout!.setEncoding('utf8').on('data', onData)
    child.stderr!.setEncoding('utf8').on('data', onData)
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`gateway exited (code ${code}, signal ${signal}) before listening:\n${output}`))
    })
  })
  const self: GatewayProcess = {
    url,
    pid: child.pid!,
    dir,
    stateDir,
    configPath,
    tag,
    spawnLog,
    output: () => output,
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    },
    exited,
    restart: async () => {
      if (child.exitCode === null && child.signalCode === null) throw new Error('restart(): the previous gateway is still running')
      return await launch(at)
    }
  }
  return self
}

/** For afterEach: SIGKILL every gateway started here and every agent they left, then remove their directories. */
export async function cleanupGatewayProcesses (): Promise<void> {
  const all = tracked.splice(0)
  await Promise.all(all.map(async ({ child }) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGKILL')
    await Promise.race([gone, sleep(2000)])
  }))
  for (const tag of new Set(all.map((t) => t.tag))) {
    for (const p of processesWithEnv('CHAOS_TAG', [tag])) {
      try { process.kill(p.pid, 'SIGKILL') } catch {}
    }
  }
  for (const dir of new Set(all.map((t) => t.dir))) rmSync(dir, { recursive: true, force: true })
}

export interface MarkedProcess {
  pid: number
  /** The value of the variable that matched. */
  value: string
  cmdline: string
}

/** Live processes (not zombies) whose environment has `name=<one of values>`, read from /proc. */
export function processesWithEnv (name: string, values: Iterable<string>): MarkedProcess[] {
  const wanted = new Set(values)
  if (wanted.size === 0) return []
  const found: MarkedProcess[] = []
  let pids: string[]
  try { pids = readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d)) } catch { return [] }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue
    let environ: string
    try { environ = readFileSync(`/proc/${pid}/environ`, 'latin1') } catch { continue }
    let value: string | undefined
    for (const entry of environ.split('\0')) {
      if (entry.startsWith(`${name}=`)) { value = entry.slice(name.length + 1); break }
    }
    if (value === undefined || !wanted.has(value)) continue
    if (isZombie(Number(pid))) continue
    let cmdline = ''
    try { cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim() } catch {}
    found.push({ pid: Number(pid), value, cmdline })
  }
  return found
}

function isZombie (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // "pid (comm) S ..." — comm may contain spaces and parentheses, so read after the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state === 'Z' || state === 'X'
  } catch {
    return true
  }
}

/** Every live process carrying HOOKGATE_RUN_ID=<one of runIds>: agents and everything they started. */
export function descendantsAlive (runIds: Iterable<string>): MarkedProcess[] {
  return processesWithEnv('HOOKGATE_RUN_ID', runIds)
}

/**
 * Every live process started by any agent of this gateway directory (CHAOS_TAG, which agents inherit
 * through `agent.env`), run id or not. Gateways carry the tag too, so they are left out.
 */
export function agentsAlive (gw: { tag: string }): MarkedProcess[] {
  const gateways = new Set(tracked.map((t) => t.child.pid))
  return processesWithEnv('CHAOS_TAG', [gw.tag]).filter((p) => !gateways.has(p.pid))
}

export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  return !isZombie(pid)
}

export interface SpawnRecord {
  pid: number
  /** The agent's parent when it started: the gateway's pid (1 or a subreaper if that had died already). */
  ppid: number
  run: string | null
  prompt: string
  grandchildren: number[]
  audit_accepted: boolean | null
  db_row: { status: string } | null
  db_error: string | null
  at: number
}

/** What the chaos agents of this gateway directory wrote when they started. */
export function spawnRecords (gw: { spawnLog: string }): SpawnRecord[] {
  let text = ''
  try { text = readFileSync(gw.spawnLog, 'utf8') } catch { return [] }
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as SpawnRecord)
}

export interface Answer {
  status: number
  headers: Headers
  /** Parsed JSON, or null when the body was not JSON. */
  body: Record<string, unknown> | null
  text: string
  /** Milliseconds from sending to the complete answer. */
  ms: number
}

export interface SendOptions {
  caller?: string
  secret?: string
  /** Unix seconds; default now. */
  ts?: number
  headers?: Record<string, string>
  async?: boolean
  query?: string
  signal?: AbortSignal
}

/** Signed hmac-sha256 request headers for `body`. */
export function signedHeaders (body: string, opts: { secret?: string, ts?: number } = {}): Record<string, string> {
  const ts = opts.ts ?? Math.floor(Date.now() / 1000)
  return {
    'content-type': 'application/json',
    'x-webhook-timestamp': String(ts),
    'x-webhook-signature': signHmacSha256(opts.secret ?? SECRET, body, ts)
  }
}

/** POST /v1/hooks/{caller} with a signed raw body (string, sent byte for byte). */
export async function postSigned (url: string, body: string, opts: SendOptions = {}): Promise<Answer> {
  const started = Date.now()
  const res = await fetch(`${url}/v1/hooks/${opts.caller ?? 'ci'}${opts.query ?? ''}`, {
    method: 'POST',
    headers: {
      ...signedHeaders(body, { ...(opts.secret !== undefined ? { secret: opts.secret } : {}), ...(opts.ts !== undefined ? { ts: opts.ts } : {}) }),
      ...(opts.async === true ? { prefer: 'respond-async' } : {}),
      ...opts.headers
    },
    body,
    ...(opts.signal !== undefined ? { signal: opts.signal } : {})
  })
  const text = await res.text()
  let parsed: Record<string, unknown> | null = null
  try { parsed = JSON.parse(text) as Record<string, unknown> } catch {}
  return { status: res.status, headers: res.headers, body: parsed, text, ms: Date.now() - started }
}

/** GET with the admin token; JSON or null. */
export async function adminGet (url: string, path: string): Promise<{ status: number, body: any }> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  const text = await res.text()
  let body: unknown = null
  try { body = JSON.parse(text) } catch { body = text }
  return { status: res.status, body }
}

/** Every run the gateway lists (GET /v1/runs, all pages), newest first. */
export async function listAllRuns (url: string, filter: { status?: string } = {}): Promise<Array<Record<string, any>>> {
  const out: Array<Record<string, any>> = []
  let before: string | undefined
  for (let page = 0; page < 100; page++) {
    const q = new URLSearchParams({ limit: '100', ...(filter.status !== undefined ? { status: filter.status } : {}), ...(before !== undefined ? { before } : {}) })
    const { status, body } = await adminGet(url, `/v1/runs?${q}`)
    if (status !== 200) throw new Error(`GET /v1/runs?${q} answered ${status}: ${JSON.stringify(body)}`)
    const runs = (Array.isArray(body) ? body : body?.runs ?? body?.items ?? []) as Array<Record<string, any>>
    out.push(...runs)
    if (runs.length < 100) break
    before = runs.at(-1)!.id
  }
  return out
}

/** `hookgate …` as a child process. */
export function runHookgate (args: string[], cwd: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
    child.on('error', reject)
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

/** `hookgate audit verify <state_dir>/audit.jsonl`. */
export async function auditVerify (gw: { stateDir: string, dir: string }): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await runHookgate(['audit', 'verify', join(gw.stateDir, 'audit.jsonl')], gw.dir)
}

export interface SseFrame { id: number | null, event: string, data: any }

/**
 * A raw Server-Sent Events client over fetch: collects frames until the server ends the stream or
 * the client is aborted. `done` resolves with every frame and whether the stream ended by itself.
 */
export function followEvents (url: string, init: { method?: string, headers?: Record<string, string>, body?: string } = {}): { frames: SseFrame[], opened: Promise<number>, done: Promise<{ frames: SseFrame[], ended: boolean, error: string | null }>, abort: () => void } {
  const controller = new AbortController()
  const frames: SseFrame[] = []
  let resolveOpened: (status: number) => void = () => {}
  const opened = new Promise<number>((resolve) => { resolveOpened = resolve })
  const done = (async () => {
    let res: Response
    try {
      res = await fetch(url, { method: init.method ?? 'GET', headers: { accept: 'text/event-stream', ...init.headers }, ...(init.body !== undefined ? { body: init.body } : {}), signal: controller.signal })
    } catch (err) {
      resolveOpened(0)
      return { frames, ended: false, error: String((err as Error).message) }
    }
    resolveOpened(res.status)
    if (res.status !== 200 || res.body === null) {
      return { frames, ended: false, error: `status ${res.status}: ${await res.text().catch(() => '')}` }
    }
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let cut: number
        while ((cut = buffer.search(/\r?\n\r?\n/)) !== -1) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '')
          let event = 'message'
          let id: number | null = null
          const data: string[] = []
          for (const line of block.split(/\r?\n/)) {
            if (line.startsWith(':')) continue
            const colon = line.indexOf(':')
            const field = colon === -1 ? line : line.slice(0, colon)
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
            if (field === 'event') event = value
            else if (field === 'id') id = Number(value)
            else if (field === 'data') data.push(value)
          }
          if (data.length === 0 && event === 'message') continue
          let parsed: unknown = data.join('\n')
          try { parsed = JSON.parse(data.join('\n')) } catch {}
          frames.push({ id, event, data: parsed })
        }
      }
    } catch (err) {
      return { frames, ended: false, error: String((err as Error).message) }
    }
    return { frames, ended: true, error: null }
  })()
  return { frames, opened, done, abort: () => controller.abort() }
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `check` until it returns a non-undefined value or `ms` pass; returns the last value or throws the last error. */
export async function waitFor<T> (check: () => T | undefined | Promise<T | undefined>, ms: number, every = 50): Promise<T> {
  const deadline = Date.now() + ms
  let lastError: unknown = null
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) {
      throw lastError instanceof Error ? lastError : new Error(`waitFor: nothing within ${ms} ms${lastError !== null ? `: ${String(lastError)}` : ''}`)
    }
    await sleep(every)
  }
}
