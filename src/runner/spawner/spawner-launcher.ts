// The gateway's side of the spawner (spawner-main.ts): a Launcher whose processes are started by that
// small helper process instead of the gateway's own event-loop thread. One spawner serves every launch;
// it is started on the first launch and again after it died (its running agents are then reported
// killed). Killing a process group needs no round trip: the gateway signals the group itself.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { AgentInput, ExitInfo, LaunchedProcess, Launcher, LaunchSpec, OutputChunk } from '../launcher.ts'
import { MAX_LINE_BYTES } from '../line-splitter.ts'
import { ACK_STEP_BYTES, type SpawnerEvent, type SpawnerRequest } from './protocol.ts'
import { OutputQueue } from './output-queue.ts'

const SPAWNER_MAIN = fileURLToPath(new URL('./spawner-main.ts', import.meta.url))

export interface SpawnerLauncher extends Launcher {
  /** Lets the spawner go; it kills whatever it still runs. Launches after this start a new one. */
  close (): Promise<void>
  /** The spawner's pid while it runs (for accounting and tests). */
  readonly spawnerPid: number | undefined
}

interface Pending {
  resolve (process: LaunchedProcess): void
  spec: LaunchSpec
}

interface Live {
  pid: number
  output: OutputQueue
  settleExit (exit: ExitInfo): void
  stdinEnded: boolean
}

export function createSpawnerLauncher (opts: { env?: NodeJS.ProcessEnv } = {}): SpawnerLauncher {
  let spawner: ChildProcess | undefined
  let nextId = 1
  const pending = new Map<number, Pending>()
  const live = new Map<number, Live>()

  const request = (message: SpawnerRequest): void => {
    if (spawner?.connected === true) spawner.send(message)
  }

  function ensureSpawner (): ChildProcess {
    if (spawner !== undefined && spawner.connected) return spawner
    const started = spawn(process.execPath, [...spawnerFlags(), SPAWNER_MAIN], {
      // Nothing of the gateway's environment: every launch brings the complete environment of its child.
      env: spawnerEnv(opts.env ?? process.env),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
      // Its own process group: a terminal's Ctrl-C is the gateway's to handle.
      detached: true
    })
    started.on('message', (event: SpawnerEvent) => onEvent(event))
    started.on('error', () => {})
    started.once('exit', () => onSpawnerGone(started))
    spawner = started
    return started
  }

  /**
   * Like a child process of its own, a launch or a live process keeps the gateway's event loop alive;
   * an idle spawner does not.
   */
  function holdLoop (): void {
    const busy = pending.size + live.size > 0
    if (busy) {
      spawner?.ref()
      spawner?.channel?.ref()
    } else {
      spawner?.unref()
      spawner?.channel?.unref()
    }
  }

  function onSpawnerGone (gone: ChildProcess): void {
    if (spawner === gone) spawner = undefined
    for (const [id, p] of pending) {
      pending.delete(id)
      p.resolve(notStarted({ code: 'ESPAWNER', message: 'the spawner process exited' }))
    }
    // Its children were killed on its way out (or will be by the run's sweep); their pipes are gone.
    for (const [id, child] of live) {
      live.delete(id)
      killGroup(child.pid, 'SIGKILL')
      child.output.end('stdout')
      child.output.end('stderr')
      child.settleExit({ code: null, signal: 'SIGKILL', spawnError: null })
    }
  }

  function onEvent (event: SpawnerEvent): void {
    handle(event)
    holdLoop()
  }

  function handle (event: SpawnerEvent): void {
    switch (event.t) {
      case 'started': {
        const p = pending.get(event.id)
        if (p === undefined) return
        pending.delete(event.id)
        p.resolve(launched(event.id, event.pid, p.spec))
        return
      }
      case 'failed': {
        const p = pending.get(event.id)
        pending.delete(event.id)
        p?.resolve(notStarted({ code: event.code, message: event.message }))
        return
      }
      case 'out': live.get(event.id)?.output.push({ stream: event.stream, chunk: event.chunk }); return
      case 'skip': live.get(event.id)?.output.skip(event.stream, event.bytes); return
      case 'eof': live.get(event.id)?.output.end(event.stream); return
      case 'stdin-closed': { const child = live.get(event.id); if (child !== undefined) child.stdinEnded = true; return }
      // Output may still follow (pipes outlive the leader): the entry goes once both have ended too.
      case 'exit': live.get(event.id)?.settleExit({ code: event.code, signal: event.signal, spawnError: null })
    }
  }

  function launched (id: number, pid: number, spec: LaunchSpec): LaunchedProcess {
    let settleExit!: (exit: ExitInfo) => void
    const exited = new Promise<ExitInfo>((resolve) => { settleExit = resolve })
    let exitedYet = false
    void exited.then(() => {
      exitedYet = true
      if (output.done) {
        live.delete(id)
        holdLoop()
      }
    })
    const output = new OutputQueue({
      ack: (bytes) => request({ t: 'ack', id, bytes }),
      ackStep: ACK_STEP_BYTES,
      onDone: () => {
        if (!exitedYet) return
        live.delete(id)
        holdLoop()
      }
    })
    const child: Live = { pid, output, settleExit, stdinEnded: false }
    live.set(id, child)
    return {
      pid,
      ...(spec.interactive === true ? { stdin: agentInput(id, child, request) } : {}),
      output,
      exited,
      killGroup: (signal) => killGroup(pid, signal),
      capOutput () {
        request({ t: 'cap', id, keep: [...spec.keepPastCap ?? []], lineBytes: MAX_LINE_BYTES })
      },
      release () {
        request({ t: 'release', id })
        output.release()
      }
    }
  }

  return {
    launch (spec) {
      const channel = ensureSpawner()
      const id = nextId++
      return new Promise<LaunchedProcess>((resolve) => {
        pending.set(id, { resolve, spec })
        holdLoop()
        const message: SpawnerRequest = {
          t: 'spawn',
          id,
          argv: [...spec.argv],
          cwd: spec.cwd,
          env: { ...spec.env },
          interactive: spec.interactive === true,
          ...(spec.input !== undefined ? { input: spec.input } : {})
        }
        try {
          channel.send(message)
        } catch {
          pending.delete(id)
          holdLoop()
          resolve(notStarted({ code: 'ESPAWNER', message: 'the spawner process is not reachable' }))
        }
      })
    },
    sweepRun (query, signal, options) {
      request({ t: 'sweep', query, signal, ...(options.exceptPgid !== undefined ? { exceptPgid: options.exceptPgid } : {}) })
    },
    async close () {
      const closing = spawner
      spawner = undefined
      if (closing === undefined || !closing.connected) return
      const gone = new Promise<void>((resolve) => closing.once('exit', () => resolve()))
      // Whoever awaits close() waits for the exit, even when nothing else keeps the loop alive.
      closing.ref()
      closing.disconnect()
      await gone
    },
    get spawnerPid () { return spawner?.pid }
  }
}

function agentInput (id: number, child: Live, request: (message: SpawnerRequest) => void): AgentInput {
  return {
    write (text) {
      if (child.stdinEnded) return false
      request({ t: 'stdin', id, text })
      return true
    },
    end () {
      if (child.stdinEnded) return
      child.stdinEnded = true
      request({ t: 'stdin-end', id })
    },
    get ended () { return child.stdinEnded }
  }
}

function killGroup (pid: number, signal: NodeJS.Signals): void {
  // kill(-0) would signal the gateway's own group (openclaw#71681); only a real child's group.
  if (pid <= 0) return
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: the group is already gone, which is what we wanted.
  }
}

function notStarted (spawnError: NonNullable<ExitInfo['spawnError']>): LaunchedProcess {
  return {
    pid: undefined,
    output: (async function * (): AsyncGenerator<OutputChunk> {})(),
    exited: Promise.resolve({ code: null, signal: null, spawnError }),
    killGroup () {},
    release () {}
  }
}

/**
 * A small young generation keeps the spawner's memory, and so the page tables every fork() copies,
 * small (and --expose-gc lets it collect the read buffers of a flood promptly, see spawner-main.ts).
 * Of the gateway's own Node flags only the CPU profiler's are passed on (spawnerProfilerFlags); an
 * inspector or a heap limit meant for the gateway is not.
 */
function spawnerFlags (): string[] {
  return ['--max-semi-space-size=1', '--expose-gc', '--disable-warning=ExperimentalWarning', ...spawnerProfilerFlags(process.execArgv)]
}

const PROFILER_FLAGS = ['--cpu-prof', '--cpu-prof-dir', '--cpu-prof-interval']

/**
 * A gateway started under `--cpu-prof` profiles its spawner too, into the same directory (each
 * profile's file name holds its process id): the spawner starts every agent, and where its time goes
 * is half of the run path's story (bench/README.md, Profiling).
 */
export function spawnerProfilerFlags (execArgv: readonly string[]): string[] {
  const flags: string[] = []
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!
    const name = arg.split('=', 1)[0]!
    if (!PROFILER_FLAGS.includes(name)) continue
    flags.push(arg)
    // `--cpu-prof-dir DIR`: the value is the next argument.
    if (name !== '--cpu-prof' && !arg.includes('=') && i + 1 < execArgv.length) flags.push(execArgv[++i]!)
  }
  return flags.includes('--cpu-prof') ? flags : []
}

/** Only what Node itself needs to start the spawner quickly (its compile cache). */
function spawnerEnv (env: NodeJS.ProcessEnv): Record<string, string> {
  const cache = env.NODE_COMPILE_CACHE
  return cache === undefined ? {} : { NODE_COMPILE_CACHE: cache }
}
