// Shared set-up for runner tests: real processes, real fixtures, the real spawner launcher.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'
import type { AgentConfig } from '../../src/config/schema.ts'
import type { AgentEvent, AgentOutcome } from '../../src/runner/agent-event.ts'
import { launcher } from '../helpers/launcher.ts'
import { runAgent, type RunSpec } from '../../src/runner/run-agent.ts'

export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

/** Claude profile pointed at fake-claude.mjs, run by this Node binary (not found via PATH on purpose). */
export function agentConfig (overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    profile: 'claude',
    command: process.execPath,
    args: [fixture('fake-claude.mjs')],
    argv: [],
    cwd: tmpdir(),
    timeout: 20,
    kill_grace: 1,
    env: [],
    max_output_bytes: 10 * 1024 * 1024,
    state: 'shared',
    trust_repo: false,
    sandbox: 'none',
    ...overrides
  }
}

export interface RunResult {
  outcome: AgentOutcome
  events: AgentEvent[]
  pid: number | null
  ms: number
}

export async function run (opts: {
  prompt?: string
  agent?: Partial<AgentConfig>
  tools?: RunSpec['tools']
  env?: Record<string, string>
  signal?: AbortSignal
  onEvent?: (e: AgentEvent) => void
  session?: RunSpec['session']
  homeDir?: string | null
  askPermission?: RunSpec['askPermission']
} = {}): Promise<RunResult> {
  const events: AgentEvent[] = []
  let pid: number | null = null
  const started = performance.now()
  const outcome = await runAgent({
    prompt: opts.prompt ?? 'hello',
    agent: agentConfig(opts.agent),
    tools: opts.tools ?? { allow: [], deny: [] },
    sourceEnv: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
    launcher,
    signal: opts.signal ?? new AbortController().signal,
    onEvent: (e) => { events.push(e); opts.onEvent?.(e) },
    onSpawn: (p) => { pid = p },
    session: opts.session ?? null,
    homeDir: opts.homeDir ?? null,
    ...(opts.askPermission !== undefined ? { askPermission: opts.askPermission } : {})
  })
  return { outcome, events, pid, ms: performance.now() - started }
}

/** A fresh directory under the system temp dir, removed when the current test finishes. */
export function testDir (prefix = 'hookgate-runner-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export const textOf = (events: AgentEvent[]): string =>
  events.flatMap((e) => (e.type === 'text' ? [e.data.text] : [])).join('')

/** Gone, or a zombie waiting for a reaper that may never come (PID 1 here does not reap). */
export function isDeadOrZombie (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state === 'Z' || state === 'X'
  } catch {
    return true
  }
}

export async function waitFor (check: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms
  while (performance.now() < until) {
    if (check()) return true
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return check()
}
