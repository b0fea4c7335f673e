// Runs the real `hookgate` binary as a child process, and a real gateway for it to talk to.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/hookgate.js', import.meta.url))

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  input?: string | Buffer
  /** Added to a minimal environment: the developer's HOOKGATE_* variables never leak into a test. */
  env?: Record<string, string>
  cwd?: string
  /** Called with the child and the output so far on every stdout chunk. */
  onStdout?: (child: ChildProcess, stdout: string) => void
}

export function runCli (args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? tmpdir(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      options.onStdout?.(child, stdout)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

export function tempDir (prefix = 'hookgate-cli-'): { dir: string, cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface Gateway {
  url: string
  dir: string
  output: () => string
  stop: () => Promise<void>
}

/**
 * `hookgate serve --config <dir>/hookgate.yaml --port 0` in a fresh directory, resolved once it prints
 * its URL; with `yaml` null, the quick-start gateway (no config file) in that directory.
 */
export async function startGateway (yaml: string | null, env: Record<string, string> = {}): Promise<Gateway> {
  const { dir, cleanup } = tempDir('hookgate-cli-gw-')
  const config = join(dir, 'hookgate.yaml')
  if (yaml !== null) writeFileSync(config, yaml)
  const child = spawn(process.execPath, [BIN, 'serve', ...(yaml !== null ? ['--config', config] : []), '--port', '0'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 15_000)
    const onData = (chunk: string): void => {
      output += chunk
      const match = /hookgate listening on (http:\/\/\S+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`gateway exited with ${code}:\n${output}`))
    })
  })
  return {
    url,
    dir,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
      cleanup()
    }
  }
}

/** A valid config with one hmac-sha256 caller `ci` and the demo agent; state under ./state. */
export const VALID_CONFIG = `
state_dir: ./state
log: { level: warn }
agent: { profile: demo }
commands:
  run: { prompt: "{args}" }
callers:
  ci:
    scheme: hmac-sha256
    secrets: ["0123456789abcdef0123456789abcdef"]
    commands: [run]
    default_command: run
`
