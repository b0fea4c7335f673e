// The spawner: a small long-lived process that starts agent processes for the gateway. libuv starts
// a child with fork() on the thread that asks, and fork() copies the asking process's page tables, so
// in the gateway every spawn stalled every request and stream for a time that grows with the
// gateway's memory. Here it costs the spawner's few megabytes, on another core. It imports nothing
// but Node's own modules and the /proc readers, so that it stays small (and fast to fork). It also
// does the /proc scans that find a finished run's escaped processes, which cost milliseconds on a busy
// machine, several runs to a scan (sweep-queue.ts). docs/architecture.md has the measurements behind the choice.
//
// It relays output instead of handing the pipes over: a pipe's descriptor can be passed over the IPC
// channel, but the spawner's own stream may already have read from it by then, and those bytes would
// be lost. Relaying is one extra copy of what agents print, which is little.
import { spawn, type ChildProcess } from 'node:child_process'
import type { Readable } from 'node:stream'
import { RUN_MARKER_VAR } from '../../proc/run-marker.ts'
import { PastCapFilter } from './past-cap-filter.ts'
import { SweepQueue } from './sweep-queue.ts'
import { OUTPUT_WINDOW_BYTES, PAST_CAP_TAIL_BYTES, SKIP_REPORT_BYTES, SKIP_REPORT_MS, type SpawnerEvent, type SpawnerRequest } from './protocol.ts'

type Stream = 'stdout' | 'stderr'

/** One pipe of a child. */
interface Pipe {
  stream: Stream
  readable: Readable
  /** What was relayed so far ended with a newline (or nothing was): where a cap may start filtering. */
  atLineStart: boolean
  /** Set once the gateway keeps no more output. */
  filter: PastCapFilter | null
  lastSkipReport: number
}

interface Child {
  process: ChildProcess
  pipes: Pipe[]
  /** Output sent and not yet acknowledged. */
  inFlight: number
  paused: boolean
}

const send = (event: SpawnerEvent): void => {
  // The gateway is gone (disconnect is handled below): there is nobody left to tell.
  if (process.connected) process.send?.(event)
}

/**
 * Bytes read from pipes between two young-generation collections. Every read is a new 64 KiB Buffer
 * whose memory is outside V8's heap: a flood allocates hundreds of megabytes a second while the heap
 * itself barely grows, so V8 would let 100–200 MiB of dead buffers pile up before collecting them.
 * Collecting the spawner's 1 MB young generation this often is cheap enough to make a flood faster:
 * relaying 1 GiB took 1.9 s without it, 0.96 s every 16 MiB, 0.59 s every MiB (RSS +44, +6 MiB).
 */
const COLLECT_EVERY_BYTES = 1024 * 1024

function main (): void {
  const children = new Map<number, Child>()
  const collector = new ReadCollector()
  const sweeps = new SweepQueue()

  // Signals meant for the gateway (a terminal's Ctrl-C reaches the whole foreground group) must not
  // take the spawner down under it: the gateway stops its runs itself, then lets us go.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {})

  // The gateway exited, or was killed: nobody will read these agents' output or stop them, so they
  // go now (as a gateway's restart would find and kill them), and so does the spawner.
  process.on('disconnect', () => {
    for (const child of children.values()) killGroup(child.process, 'SIGKILL')
    sweeps.flush()
    process.exit(0)
  })

  process.on('message', (message: SpawnerRequest) => {
    switch (message.t) {
      case 'spawn': {
        const runId = message.env[RUN_MARKER_VAR]
        if (runId !== undefined) sweeps.flushFor(runId)
        start(children, collector, message)
        break
      }
      case 'ack': acknowledge(children.get(message.id), message.bytes); break
      case 'cap': cap(children.get(message.id), message); break
      case 'stdin': children.get(message.id)?.process.stdin?.write(message.text); break
      case 'stdin-end': children.get(message.id)?.process.stdin?.end(); break
      case 'release': release(children.get(message.id)); break
      case 'sweep': sweeps.add({ target: message.query, signal: message.signal, options: message.exceptPgid === undefined ? {} : { exceptPgid: message.exceptPgid } }); break
    }
  })
}

function start (children: Map<number, Child>, collector: ReadCollector, request: Extract<SpawnerRequest, { t: 'spawn' }>): void {
  const [file = '', ...args] = request.argv
  let child: ChildProcess
  try {
    child = spawn(file, args, {
      cwd: request.cwd,
      env: request.env,
      shell: false,
      // Leader of its own process group, so a group kill reaches the agent's grandchildren too.
      detached: true,
      // An open stdin stalls some agent CLIs: /dev/null unless there is something to give them.
      stdio: [request.interactive || request.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe']
    })
  } catch (error) {
    // Thrown for invalid arguments (a NUL byte, say); its message may quote them, ours does not.
    send({ t: 'failed', id: request.id, code: errorCode(error), message: 'invalid arguments or options' })
    return
  }
  if (child.pid === undefined) {
    // Node's message ("spawn claude ENOENT") names the file only, never the other arguments.
    child.once('error', (error) => send({ t: 'failed', id: request.id, code: errorCode(error), message: error.message }))
    return
  }

  const entry: Child = { process: child, pipes: [], inFlight: 0, paused: false }
  children.set(request.id, entry)
  send({ t: 'started', id: request.id, pid: child.pid })

  if (child.stdin !== null) {
    // An agent that exits or closes its stdin while we write gives EPIPE: that only ends its input.
    child.stdin.on('error', () => {})
    child.stdin.on('close', () => send({ t: 'stdin-closed', id: request.id }))
    if (request.input !== undefined) child.stdin.end(request.input)
  }
  const relay = (stream: Stream, chunk: Buffer): void => {
    entry.inFlight += chunk.length
    send({ t: 'out', id: request.id, stream, chunk })
    if (entry.inFlight >= OUTPUT_WINDOW_BYTES && !entry.paused) {
      entry.paused = true
      for (const p of entry.pipes) p.readable.pause()
    }
  }
  for (const [stream, readable] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
    if (readable === null) continue
    const pipe: Pipe = { stream, readable, atLineStart: true, filter: null, lastSkipReport: 0 }
    entry.pipes.push(pipe)
    readable.on('data', (chunk: Buffer) => {
      collector.read(chunk.length)
      if (pipe.filter === null) {
        pipe.atLineStart = chunk[chunk.length - 1] === 0x0a
        relay(stream, chunk)
        return
      }
      for (const piece of pipe.filter.push(chunk)) relay(stream, piece)
      reportSkipped(request.id, pipe, false)
    })
    // 'close' rather than 'end': a pipe destroyed by a release, or broken, also stops here.
    readable.on('close', () => {
      if (pipe.filter !== null) {
        for (const piece of pipe.filter.end()) relay(stream, piece)
        reportSkipped(request.id, pipe, true)
      }
      send({ t: 'eof', id: request.id, stream })
    })
    readable.on('error', () => {})
  }
  child.once('exit', (code, signal) => {
    send({ t: 'exit', id: request.id, code, signal })
    // The pipes may outlive the leader (a grandchild holds them): forget the child once they close.
    void Promise.all(entry.pipes.map(({ readable: p }) => p.closed === true ? null : new Promise((resolve) => p.once('close', resolve))))
      .then(() => children.delete(request.id))
  })
}

/** Runs a minor collection every COLLECT_EVERY_BYTES read (the spawner runs with --expose-gc). */
class ReadCollector {
  readonly #gc = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc
  #read = 0

  read (bytes: number): void {
    this.#read += bytes
    if (this.#read < COLLECT_EVERY_BYTES) return
    this.#read = 0
    this.#gc?.({ type: 'minor' })
  }
}

function acknowledge (child: Child | undefined, bytes: number): void {
  if (child === undefined) return
  child.inFlight = Math.max(0, child.inFlight - bytes)
  if (child.paused && child.inFlight < OUTPUT_WINDOW_BYTES) {
    child.paused = false
    for (const p of child.pipes) p.readable.resume()
  }
}

function cap (child: Child | undefined, request: Extract<SpawnerRequest, { t: 'cap' }>): void {
  for (const pipe of child?.pipes ?? []) {
    if (pipe.filter !== null || pipe.readable.closed) continue
    pipe.filter = new PastCapFilter({ keep: request.keep, midLine: !pipe.atLineStart, tailBytes: PAST_CAP_TAIL_BYTES, lineBytes: request.lineBytes })
    pipe.lastSkipReport = performance.now()
  }
}

/** Reported in sums, not per chunk: a flood would otherwise be a message per read. */
function reportSkipped (id: number, pipe: Pipe, force: boolean): void {
  const filter = pipe.filter
  if (filter === null || filter.pendingSkipped === 0) return
  const now = performance.now()
  if (!force && filter.pendingSkipped < SKIP_REPORT_BYTES && now - pipe.lastSkipReport < SKIP_REPORT_MS) return
  pipe.lastSkipReport = now
  send({ t: 'skip', id, stream: pipe.stream, bytes: filter.takeSkipped() })
}

function release (child: Child | undefined): void {
  for (const pipe of child?.pipes ?? []) pipe.readable.destroy()
}

function killGroup (child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.pid <= 0) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // ESRCH: the group is already gone.
  }
}

function errorCode (error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : null
}

main()
