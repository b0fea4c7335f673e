// Runs a user-facing script or tool (the image's entrypoint, the GitHub Action's notify.sh,
// docker-compose) as a child process with an explicit environment, so nothing from the developer's
// shell (a HOOKGATE_* variable, a GITHUB_* variable, a ./.env) can make a test pass or fail.
import { spawn, type ChildProcess } from 'node:child_process'
import { dirname } from 'node:path'

export interface ScriptResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface ScriptOptions {
  /** The whole environment, on top of a PATH that has this node first. */
  env?: Record<string, string>
  cwd?: string
  timeoutMs?: number
  /** Its own process group, so a test can kill whatever it started (`process.kill(-pid)`). */
  detached?: boolean
  /** Called once the child exists, e.g. to signal it. */
  onSpawn?: (child: ChildProcess) => void
  /** Called with the output so far on every chunk. */
  onOutput?: (child: ChildProcess, output: string) => void
}

/** PATH with the node running the tests first, so `node` in a script is Node 24. */
export const NODE_PATH = `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`

export function runScript (file: string, args: string[], options: ScriptOptions = {}): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      env: { PATH: NODE_PATH, ...options.env },
      detached: options.detached === true,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    let output = ''
    const onChunk = (chunk: string): void => {
      output += chunk
      options.onOutput?.(child, output)
    }
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; onChunk(c) })
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; onChunk(c) })
    child.on('error', reject)
    // A hung script fails its test with what it printed, instead of the test timing out blind.
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
    options.onSpawn?.(child)
  })
}
