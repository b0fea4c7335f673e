// Drives test/audit/fixtures/audit-child.ts: a real process whose limits and signals tests control.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

export const CHILD = fileURLToPath(new URL('./fixtures/audit-child.ts', import.meta.url))

export interface ChildAnswer {
  ok: boolean
  head?: { seq: number, hash: string }
  healthy?: boolean
  size?: number | null
  name?: string
  code?: string
  message?: string
  isWriteError?: boolean
  pid?: number
  /** Of a `group` op: how many of its appends were refused. */
  failed?: number
}

export class AuditChild {
  readonly process: ChildProcessWithoutNullStreams
  readonly #answers: string[] = []
  readonly #waiting: Array<(line: string) => void> = []
  #stderr = ''

  constructor (command: string, args: string[]) {
    this.process = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    this.process.stderr.setEncoding('utf8').on('data', (chunk: string) => { this.#stderr += chunk })
    createInterface({ input: this.process.stdout }).on('line', (line) => {
      const waiter = this.#waiting.shift()
      if (waiter !== undefined) waiter(line)
      else this.#answers.push(line)
    })
  }

  /** A child running under `prlimit --fsize=N` when `fsize` is given. */
  static start (dir: string, options: { rotateBytes?: number, fsize?: number } = {}): AuditChild {
    const nodeArgs = [CHILD, dir, ...(options.rotateBytes !== undefined ? [String(options.rotateBytes)] : [])]
    return options.fsize === undefined
      ? new AuditChild(process.execPath, nodeArgs)
      : new AuditChild('prlimit', [`--fsize=${options.fsize}:`, process.execPath, ...nodeArgs])
  }

  get stderr (): string {
    return this.#stderr
  }

  async send (cmd: Record<string, unknown>): Promise<ChildAnswer> {
    this.process.stdin.write(`${JSON.stringify(cmd)}\n`)
    const line = this.#answers.shift() ?? await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the audit child; stderr:\n${this.#stderr}`)), 10_000)
      this.#waiting.push((l) => { clearTimeout(timer); resolve(l) })
    })
    return JSON.parse(line) as ChildAnswer
  }

  async close (): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return
    const exited = once(this.process, 'exit')
    this.process.stdin.end(`${JSON.stringify({ op: 'close' })}\n`)
    await exited
  }
}

/** Sets the soft file-size limit of a running process (hard limit untouched, so it can be raised again). */
export async function setFsizeLimit (pid: number, limit: number | 'unlimited'): Promise<void> {
  const child = spawn('prlimit', ['--pid', String(pid), `--fsize=${limit}:`], { stdio: 'inherit' })
  const [code] = await once(child, 'exit') as [number | null]
  if (code !== 0) throw new Error(`prlimit exited with ${code}`)
}
