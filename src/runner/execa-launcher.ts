// The Launcher on execa: the one place an agent process is started. Choices that matter (see
// execa pitfalls): an argv array and never a shell; no inherited environment; stdin
// /dev/null unless we have input, because an open stdin stalls Claude 3 s and hangs other CLIs; and
// `detached`, so the child leads its own process group and a group kill reaches its grandchildren.
import { execa } from 'execa'
import type { AgentInput, ExitInfo, LaunchedProcess, Launcher, LaunchSpec } from './launcher.ts'
import { mergePipes } from './merge-pipes.ts'

export function createExecaLauncher (): Launcher {
  return { launch }
}

function launch (spec: LaunchSpec): LaunchedProcess {
  const [file = '', ...args] = spec.argv
  const common = {
    cwd: spec.cwd,
    env: { ...spec.env },
    extendEnv: false,
    shell: false,
    detached: true,
    // Nothing is buffered by execa (its maxBuffer is not enforced then): the runner caps what it reads.
    buffer: false,
    encoding: 'buffer',
    stdout: 'pipe',
    stderr: 'pipe',
    windowsHide: true
  } as const
  let subprocess
  try {
    subprocess = spec.interactive === true
      ? execa(file, args, { ...common, stdin: 'pipe' })
      : spec.input === undefined
        ? execa(file, args, { ...common, stdin: 'ignore' })
        : execa(file, args, { ...common, input: spec.input })
  } catch (error) {
    // execa validates some options synchronously; its message may quote an argument (the prompt).
    return notStarted({ code: errorCode(error), message: 'invalid arguments or options' })
  }
  const pid = subprocess.pid

  // Failures are read from 'exit' (or, for a spawn failure, from the rejection), never left unhandled.
  const settled = subprocess.then(() => null, (error: unknown) => error)
  const exited: Promise<ExitInfo> = pid === undefined
    ? settled.then((error) => ({ code: null, signal: null, spawnError: describeSpawnError(error) }))
    // 'exit' rather than the execa promise: execa also waits for the pipes to close, which a grandchild
    // holding stdout can postpone forever.
    : new Promise((resolve) => {
      subprocess.nodeChildProcess.once('exit', (code, signal) => resolve({ code, signal, spawnError: null }))
    })

  const pipes = mergePipes([
    { stream: 'stdout', readable: subprocess.stdout },
    { stream: 'stderr', readable: subprocess.stderr }
  ])

  return {
    pid,
    ...(spec.interactive === true && subprocess.stdin !== null ? { stdin: agentInput(subprocess.stdin) } : {}),
    output: pipes.output,
    exited,
    killGroup (signal) {
      // kill(-0) would signal the gateway's own group (openclaw#71681); only a real child's group.
      if (pid === undefined || pid <= 0) return
      try {
        process.kill(-pid, signal)
      } catch {
        // ESRCH: the group is already gone, which is what we wanted.
      }
    },
    release: pipes.release
  }
}

function agentInput (stream: NodeJS.WritableStream & { destroyed?: boolean, writableEnded?: boolean }): AgentInput {
  let ended = false
  // An agent that exits (or closes its stdin) while we write gives EPIPE: that only ends our input.
  stream.on('error', () => { ended = true })
  return {
    write (text) {
      if (ended || stream.destroyed === true || stream.writableEnded === true) return false
      try {
        stream.write(text)
        return true
      } catch {
        ended = true
        return false
      }
    },
    end () {
      if (ended) return
      ended = true
      try { stream.end() } catch {}
    },
    get ended () { return ended }
  }
}

function notStarted (spawnError: NonNullable<ExitInfo['spawnError']>): LaunchedProcess {
  return {
    pid: undefined,
    output: (async function * () {})(),
    exited: Promise.resolve({ code: null, signal: null, spawnError }),
    killGroup () {},
    release () {}
  }
}

/** Node's own message ("spawn claude ENOENT") names the file only, never the other arguments. */
function describeSpawnError (error: unknown): { code: string | null, message: string } {
  const original = (error as { originalMessage?: unknown } | null)?.originalMessage
  return { code: errorCode(error), message: typeof original === 'string' && original !== '' ? original : 'unknown error' }
}

function errorCode (error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : null
}
