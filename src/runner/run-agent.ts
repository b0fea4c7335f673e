// Runs the agent once for one request and always returns exactly one outcome, whatever the agent does:
// crash, hang, print garbage, flood its pipes or leave children behind. Nothing here throws to the
// caller and nothing outlives the run: the process group (and, given a run id, every process carrying
// the run's marker) is killed on every way out.
import type { AgentConfig } from '../config/schema.ts'
import { statSync } from 'node:fs'
import { runMarkerEnv } from '../proc/run-marker.ts'
import { withRunSweep } from '../proc/run-sweep.ts'
import type { AgentEvent, AgentOutcome } from './agent-event.ts'
import { buildAgentEnv } from './agent-env.ts'
import { decideOutcome } from './decide-outcome.ts'
import type { ExitInfo, Launcher } from './launcher.ts'
import { LineSplitter, type SplitLine } from './line-splitter.ts'
import { OutputBudget } from './output-budget.ts'
import { profileFor } from './profiles/index.ts'
import type { ProfileInput } from './profiles/profile.ts'
import { supervise, type StopReason } from './supervise.ts'

export interface RunSpec {
  prompt: string
  /** `cwd` already absolute. */
  agent: AgentConfig
  tools: ProfileInput['tools']
  /** Where the allowlisted variables are taken from; nothing else of it reaches the agent. */
  sourceEnv: NodeJS.ProcessEnv
  launcher: Launcher
  /** Aborting it cancels the run. */
  signal: AbortSignal
  /** Called synchronously for each event, in order, all before the outcome is returned. */
  onEvent (event: AgentEvent): void
  onSpawn? (pid: number): void
  /** SIGTERM → SIGKILL at the moment the run is stopped; null or absent: `agent.kill_grace`. */
  graceMs? (): number | null
  /**
   * Marks every process of the run with HOOKGATE_RUN_ID=<runId> (src/proc/run-marker.ts), and every
   * group kill then also reaches the marked processes that left the group (setsid). Without it only
   * the process group is killed.
   */
  runId?: string
}

const STDERR_TAIL_CHARS = 2048

export async function runAgent (spec: RunSpec): Promise<AgentOutcome> {
  try {
    return await execute(spec)
  } catch (error) {
    return {
      status: 'failed',
      exit_code: null,
      output: '',
      truncated: false,
      error: `runner error: ${error instanceof Error ? error.message : String(error)}`,
      session: null,
      cost_usd: null,
      turns: null
    }
  }
}

async function execute (spec: RunSpec): Promise<AgentOutcome> {
  const { agent } = spec
  const profile = profileFor(agent.profile)
  const { argv, input } = profile.invocation({ agent, prompt: spec.prompt, tools: spec.tools })
  const budget = new OutputBudget(agent.max_output_bytes)
  const parser = profile.createParser()
  let finished = false
  let text = ''
  let stderrTail = ''

  const emit = (event: AgentEvent): void => {
    if (finished) return
    if (event.type === 'text') text += event.data.text
    // A failing consumer must not cost the run its outcome or leave the process behind.
    try { spec.onEvent(event) } catch {}
  }
  const onLine = (stream: 'stdout' | 'stderr') => ({ line, rawBytes, dropped }: SplitLine): void => {
    const full = dropped > 0 ? `${line}[hookgate: line truncated, ${dropped} bytes dropped]` : line
    const admitted = budget.admit(rawBytes)
    if (stream === 'stderr') {
      stderrTail = (stderrTail + full + '\n').slice(-STDERR_TAIL_CHARS)
      if (admitted) emit({ type: 'log', data: { stream, line: full } })
      return
    }
    // Parsed even past the cap (events discarded) so a final report after a flood still counts.
    let events: AgentEvent[] = []
    try { events = parser.line(full) } catch {} // a parser bug must not stop the pipe being drained
    if (admitted) for (const event of events) emit(event)
  }
  const splitters = { stdout: new LineSplitter(onLine('stdout')), stderr: new LineSplitter(onLine('stderr')) }

  let exit: ExitInfo = { code: null, signal: null, spawnError: null }
  let stoppedBy: StopReason | null = null
  if (spec.signal.aborted) {
    stoppedBy = 'cancel'
  } else if (argv.some((arg) => arg.includes('\0'))) {
    // No process can receive a NUL inside an argument; say so instead of echoing the prompt in an error.
    exit = { ...exit, spawnError: { code: 'EINVAL', message: 'an argument (the prompt?) contains a NUL character' } }
  } else {
    // The marker goes last so that no allowlisted or profile variable of the same name can replace it.
    const marker = spec.runId === undefined ? {} : runMarkerEnv(spec.runId)
    const env = buildAgentEnv(spec.sourceEnv, agent.env, { ...profile.env, ...marker })
    const launched = spec.launcher.launch({ argv, cwd: agent.cwd, env, ...(input === undefined ? {} : { input }) })
    const child = spec.runId === undefined ? launched : withRunSweep(launched, spec.runId)
    if (child.pid !== undefined) try { spec.onSpawn?.(child.pid) } catch {}
    const supervised = await supervise(child, {
      timeoutMs: agent.timeout * 1000,
      graceMs: () => spec.graceMs?.() ?? agent.kill_grace * 1000,
      signal: spec.signal,
      onChunk: ({ stream, chunk }) => { if (!finished) splitters[stream].push(chunk) }
    })
    exit = supervised.exit
    stoppedBy = supervised.stoppedBy
    splitters.stdout.end()
    splitters.stderr.end()
  }
  finished = true

  const report = parser.report()
  const { output, truncated } = budget.finish(report?.output ?? text)
  return decideOutcome({
    command: argv[0] ?? '',
    stoppedBy,
    timeoutSeconds: agent.timeout,
    exit,
    cwdMissing: exit.spawnError?.code === 'ENOENT' && !isDirectory(agent.cwd),
    cwd: agent.cwd,
    needsReport: profile.reportsResult,
    report,
    session: parser.session(),
    output,
    truncated,
    stderrTail
  })
}

function isDirectory (path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
