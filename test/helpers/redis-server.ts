// A real redis-server as a child process on a free loopback port, for tests of the Redis store and of
// everything shared through it. It can be stopped (SIGTERM) or killed (SIGKILL) and restarted on the
// same port and directory, so a test sees the same store object lose and regain its server. A missing
// binary is an error, never a skip: a suite that silently runs nothing proves nothing.
// Every server started here is stopped by stopAllRedis() (call it in afterAll) and, should a test
// file crash, killed when the process exits.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (without the password). */
  url: string
  port: number
  /** Its working directory (the append-only file lives here with `persist`). */
  dir: string
  /** The password it requires, if started with one. */
  password: string | undefined
  /** SIGTERM, then waits for the exit (a clean shutdown: with `persist`, everything is on disk). */
  stop: () => Promise<void>
  /** SIGKILL, without waiting. */
  kill: () => void
  /** SIGSTOP: the server keeps its connections but answers nothing (a hung server). */
  pause: () => void
  /** SIGCONT after pause. */
  resume: () => void
  /** Starts it again on the same port and directory (stopping it first if it still runs). */
  restart: () => Promise<void>
  /** Empties every database. */
  flushall: () => Promise<void>
  /** What the server printed (stdout and stderr, the last 64 KiB). */
  output: () => string
}

export interface StartRedisOptions {
  /** Append-only file fsynced on every write, so data survives a stop or kill; default off. */
  persist?: boolean
  /** `--requirepass`. */
  password?: string
  /** The executable; default `redis-server` from PATH. */
  binary?: string
  /** How long to wait for the first PONG. */
  startTimeoutMs?: number
}

interface Instance {
  child: ChildProcess
  exited: Promise<void>
  out: { text: string }
}

const OUTPUT_LIMIT = 64 * 1024
const running = new Set<ChildProcess>()
const servers = new Set<{ stopAndRemove: () => Promise<void> }>()

process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

export async function startRedis (opts: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-redis-'))
  const args = (port: number): string[] => [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', '--logfile', '',
    '--save', '',
    ...(opts.persist === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ...(opts.password !== undefined ? ['--requirepass', opts.password] : [])
  ]
  const binary = opts.binary ?? 'redis-server'
  const timeoutMs = opts.startTimeoutMs ?? 10_000

  // A free port can be taken by someone else before redis binds it: then try another one.
  let port = 0
  let current: Instance | undefined
  for (let attempt = 1; current === undefined; attempt++) {
    port = await freePort()
    try {
      current = await launch(binary, args(port), port, opts.password, timeoutMs)
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= 5) {
        rmSync(dir, { recursive: true, force: true })
        throw error
      }
    }
  }
  let instance: Instance = current

  const stop = async (): Promise<void> => {
    if (instance.child.exitCode === null && instance.child.signalCode === null) {
      // A paused server would not act on SIGTERM.
      instance.child.kill('SIGCONT')
      instance.child.kill('SIGTERM')
      const timer = setTimeout(() => instance.child.kill('SIGKILL'), 10_000)
      await instance.exited
      clearTimeout(timer)
    }
  }

  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    password: opts.password,
    stop,
    kill: () => { instance.child.kill('SIGKILL') },
    pause: () => { instance.child.kill('SIGSTOP') },
    resume: () => { instance.child.kill('SIGCONT') },
    restart: async () => {
      await stop()
      instance = await launch(binary, args(port), port, opts.password, timeoutMs)
    },
    flushall: async () => {
      const reply = await send(port, opts.password, [['FLUSHALL']])
      if (!reply.includes('+OK')) throw new Error(`FLUSHALL failed: ${reply}`)
    },
    output: () => instance.out.text
  }
  servers.add({
    stopAndRemove: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
  return server
}

/** Stops every server this helper started and removes their directories. */
export async function stopAllRedis (): Promise<void> {
  const all = [...servers]
  servers.clear()
  await Promise.all(all.map((s) => s.stopAndRemove()))
}

class PortInUseError extends Error {}

async function launch (binary: string, args: string[], port: number, password: string | undefined, timeoutMs: number): Promise<Instance> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const out = { text: '' }
  const append = (chunk: Buffer): void => {
    out.text = (out.text + chunk.toString()).slice(-OUTPUT_LIMIT)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  let spawnError: Error | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      spawnError = error
      resolve()
    })
    child.once('exit', () => resolve())
  })
  running.add(child)
  void exited.then(() => running.delete(child))

  const deadline = performance.now() + timeoutMs
  for (;;) {
    if (spawnError !== undefined) {
      if ((spawnError as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(`redis-server not found: apt-get install redis-server (tried to run ${binary})`)
      }
      throw new Error(`redis-server could not be started: ${spawnError.message}`)
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      if (/Address already in use/i.test(out.text)) throw new PortInUseError(`port ${port} is in use`)
      throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}) before answering PING:\n${out.text}`)
    }
    // Only PONG means usable: -LOADING is a server still reading its append-only file.
    const reply = await send(port, password, [['PING']]).catch(() => '')
    if (reply.includes('+PONG')) return { child, exited, out }
    if (performance.now() > deadline) {
      child.kill('SIGKILL')
      await exited
      throw new Error(`redis-server did not answer PING on 127.0.0.1:${port} within ${timeoutMs} ms:\n${out.text}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Sends commands (after AUTH, if any) and QUIT; resolves with everything the server answered. */
async function send (port: number, password: string | undefined, commands: string[][]): Promise<string> {
  const all = [...(password !== undefined ? [['AUTH', password]] : []), ...commands, ['QUIT']]
  const payload = all.map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join('')
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let text = ''
    socket.setTimeout(2000, () => socket.destroy(new Error('no answer within 2 s')))
    socket.on('connect', () => socket.write(payload))
    socket.on('data', (chunk) => { text += chunk.toString() })
    socket.on('error', reject)
    socket.on('close', () => resolve(text))
  })
}
