// Runs the agent once for one request and always returns exactly one outcome, whatever the agent does:
// crash, hang, print garbage, flood its pipes or leave children behind. Nothing here throws to the
// caller and nothing outlives the run: the process group (and, given a run id, every process carrying
// the run's marker) is killed on every way out.
import type { AgentConfig } from '../config/schema.ts'
import { randomUUID } from 'node:crypto'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runMarkerEnv } from '../proc/run-marker.ts'
import { withRunSweep } from '../proc/run-sweep.ts'
import type { AgentEvent, AgentOutcome } from './agent-event.ts'
import { buildAgentEnv } from './agent-env.ts'
import { decideOutcome } from './decide-outcome.ts'
import { InteractiveSession, type PermissionDecision, type RunControl } from './interactive-session.ts'
import type { ExitInfo, Launcher } from './launcher.ts'
import { LineSplitter, type SplitLine } from './line-splitter.ts'
import { OutputBudget } from './output-budget.ts'
import { StreamedText } from './streamed-text.ts'
import { profileFor } from './profiles/index.ts'
import type { AgentProfile, ParsedItem, PermissionQuestion, ProfileInput, SessionPlan } from './profiles/profile.ts'
import { bwrapArgv } from './sandbox/bwrap-argv.ts'
import { resolveSandboxLayout } from './sandbox/sandbox-layout.ts'
import { withSandboxSignals } from './sandbox/sandbox-signals.ts'
import { ScratchDir } from './scratch-dir.ts'
import { stripAnsi } from './strip-ansi.ts'
import { findOnPath } from '../config/find-on-path.ts'
import { supervise, type StopReason } from './supervise.ts'

export interface RunSpec {
  prompt: string
  /** `cwd` already absolute. */
  agent: AgentConfig
  tools: ProfileInput['tools']
  /** Which agent session to continue or start; absent or null: a one-shot run. */
  session?: SessionPlan | null
  /** The agent's per-caller state directory (agent.state: per_caller); absent or null: the user's own. */
  homeDir?: string | null
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
  /**
   * Interactive profiles: asked for every tool call the agent wants approved. Absent: every such call
   * is denied at once (what the CLI does on its own without a prompt handler).
   */
  askPermission? (question: PermissionQuestion): Promise<PermissionDecision>
  /** Interactive profiles: receives the handle that steers the running agent, once it runs. */
  onControl? (control: RunControl): void
  /**
   * `agent.sandbox: bwrap`: the bubblewrap binary (found and probed at start-up) and what the agent
   * must not even read (the gateway's state directory and config file). Absent with a bwrap agent:
   * the run fails rather than running unconfined.
   */
  sandbox?: { bwrapPath: string, hidden: string[] }
}

const STDERR_TAIL_CHARS = 2048
/** Of an agent that reports its answer, the streamed text kept for a run that ends without the report. */
export const REPORTED_TEXT_KEPT_CHARS = 64 * 1024

export async function runAgent (spec: RunSpec): Promise<AgentOutcome> {
  const scratchDir = new ScratchDir()
  try {
    const profile = profileFor(spec.agent.profile)
    const first = await attempt(spec, profile, scratchDir, spec.session ?? null)
    const plan = spec.session
    if (plan?.mode !== 'resume' || first.status !== 'failed' || spec.signal.aborted) return first.outcome
    if (profile.sessionMissing?.({ report: first.report, stderrTail: first.stderrTail, exitCode: first.outcome.exit_code }) !== true) return first.outcome
    // The CLI no longer has the conversation (deleted, expired on its side, another machine): a fresh
    // one answers the request, and the answer says so.
    const notice = `The previous conversation (session ${plan.id}) no longer exists; this answer starts a fresh one.`
    emitSafely(spec, { type: 'log', data: { stream: 'stderr', line: `hookgate: ${notice}` } })
    const fresh: SessionPlan = profile.sessions === 'choose' ? { mode: 'new', id: randomUUID() } : { mode: 'new' }
    const second = await attempt(spec, profile, scratchDir, fresh)
    return { ...second.outcome, notice }
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
  } finally {
    await scratchDir.remove()
  }
}

interface Attempt {
  outcome: AgentOutcome
  status: AgentOutcome['status']
  report: ReturnType<ReturnType<AgentProfile['createParser']>['report']>
  stderrTail: string
}

async function attempt (spec: RunSpec, profile: AgentProfile, scratchDir: ScratchDir, session: SessionPlan | null): Promise<Attempt> {
  const { agent } = spec
  const invocation = profile.invocation({ agent, prompt: spec.prompt, tools: spec.tools, session, get scratchDir () { return scratchDir.path }, homeDir: spec.homeDir ?? null })
  for (const [name, content] of Object.entries(invocation.files ?? {})) writeFileSync(join(scratchDir.path, name), content, { mode: 0o600 })
  const argv = invocation.argv
  const budget = new OutputBudget(agent.max_output_bytes)
  const parser = profile.createParser()
  const interactive = profile.interactive === undefined
    ? null
    : new InteractiveSession(profile.interactive, spec.prompt, spec.askPermission)
  let finished = false
  const streamed = new StreamedText(profile.reportsResult ? REPORTED_TEXT_KEPT_CHARS : Infinity)
  let stderrTail = ''

  // Text of one piece of output, for profiles that send it as one event (see AgentProfile.mergeText).
  let mergedText: string | null = null
  const flushText = (): void => {
    if (mergedText === null) return
    const merged = mergedText
    mergedText = null
    // The event's text itself, not the lines it was joined from: once the event is made, its text is
    // one flat string (the scrub flattens it) that the output shares, where the lines kept apart were
    // a second copy of everything the agent printed (10 MiB for an answer at the default cap).
    streamed.add(merged)
    emitSafely(spec, { type: 'text', data: { text: merged } })
  }
  const emit = (event: AgentEvent): void => {
    if (finished) return
    if (event.type === 'text') {
      if (profile.mergeText === true) {
        mergedText = (mergedText ?? '') + event.data.text
        return
      }
      streamed.add(event.data.text)
    }
    flushText()
    emitSafely(spec, event)
  }
  const onItem = (item: ParsedItem): void => {
    if (item.type === 'permission_request' || item.type === 'turn_end') interactive?.handle(item)
    else emit(item)
  }
  // Set once launched: told when the cap is first reached, so the rest is dropped before it gets here.
  let capOutput: (() => void) | undefined
  const onLine = (stream: 'stdout' | 'stderr') => ({ line, rawBytes, dropped }: SplitLine): void => {
    const full = dropped > 0 ? `${line}[hookgate: line truncated, ${dropped} bytes dropped]` : line
    const capped = budget.dropped > 0
    const admitted = budget.admit(rawBytes)
    if (!admitted && !capped) capOutput?.()
    if (stream === 'stderr') {
      // Some CLIs colour stderr whatever NO_COLOR says; escapes help no reader.
      const clean = stripAnsi(full)
      stderrTail = (stderrTail + clean + '\n').slice(-STDERR_TAIL_CHARS)
      if (admitted) emit({ type: 'log', data: { stream, line: clean } })
      return
    }
    // Parsed even past the cap (events discarded) so a final report after a flood still counts.
    let items: ParsedItem[] = []
    try { items = parser.line(full) } catch {} // a parser bug must not stop the pipe being drained
    for (const item of items) {
      // Control items are acted on even past the cap: an unanswered question would hang the agent.
      if (admitted || item.type === 'permission_request' || item.type === 'turn_end') onItem(item)
    }
  }
  const splitters = { stdout: new LineSplitter(onLine('stdout')), stderr: new LineSplitter(onLine('stderr')) }

  let exit: ExitInfo = { code: null, signal: null, spawnError: null }
  let stoppedBy: StopReason | null = null
  const idleSeconds = agent.idle_timeout ?? profile.defaultIdleSeconds
  const env = buildAgentEnv(spec.sourceEnv, agent.env, { ...profile.env, ...invocation.env, ...(spec.runId === undefined ? {} : runMarkerEnv(spec.runId)) })
  const contained = agent.sandbox === 'bwrap' ? sandboxed(spec, argv, env, scratchDir) : { argv }
  if (spec.signal.aborted) {
    stoppedBy = 'cancel'
  } else if (argv.some((arg) => arg.includes('\0'))) {
    // No process can receive a NUL inside an argument; say so instead of echoing the prompt in an error.
    exit = { ...exit, spawnError: { code: 'EINVAL', message: 'an argument (the prompt?) contains a NUL character' } }
  } else if ('error' in contained) {
    exit = { ...exit, spawnError: contained.error }
  } else {
    // Steering is taken from now on, while the process starts: messages wait for it in the session.
    if (interactive !== null) try { spec.onControl?.(interactive.control) } catch {}
    const launched = await spec.launcher.launch({
      argv: contained.argv,
      cwd: agent.cwd,
      env,
      ...(interactive !== null ? { interactive: true } : invocation.input === undefined ? {} : { input: invocation.input }),
      ...(profile.keepPastCap === undefined ? {} : { keepPastCap: profile.keepPastCap })
    })
    capOutput = launched.capOutput?.bind(launched)
    const swept = spec.runId === undefined ? launched : withRunSweep(launched, spec.runId, spec.launcher.sweepRun?.bind(spec.launcher))
    // After the sweep: the reverse order would give the agent two SIGTERMs.
    const child = agent.sandbox === 'bwrap' ? withSandboxSignals(swept) : swept
    if (child.pid !== undefined) try { spec.onSpawn?.(child.pid) } catch {}
    if (interactive !== null && launched.stdin !== undefined) interactive.start(launched.stdin)
    const supervised = await supervise(child, {
      timeoutMs: agent.timeout * 1000,
      idleMs: idleSeconds * 1000,
      // Waiting for a human to answer a permission question is not the agent hanging.
      idlePaused: () => interactive?.waiting === true,
      graceMs: () => spec.graceMs?.() ?? agent.kill_grace * 1000,
      signal: spec.signal,
      onChunk: ({ stream, chunk, skipped }) => {
        if (finished) return
        if (skipped !== undefined) budget.skip(skipped)
        if (chunk.length > 0) splitters[stream].push(chunk)
        flushText()
      }
    })
    interactive?.close()
    exit = supervised.exit
    stoppedBy = supervised.stoppedBy
    splitters.stdout.end()
    splitters.stderr.end()
    flushText()
  }
  finished = true

  const report = parser.report(exit.code)
  const { output, truncated } = report !== null ? budget.finish(report.output) : budget.finish(streamed.text, streamed.droppedBytes, streamed.bytes)
  const outcome = decideOutcome({
    command: argv[0] ?? '',
    stoppedBy,
    timeoutSeconds: agent.timeout,
    idleSeconds,
    exit,
    cwdMissing: exit.spawnError?.code === 'ENOENT' && !isDirectory(agent.cwd),
    cwd: agent.cwd,
    needsReport: profile.reportsResult,
    report,
    // A session we named exists for sure once the agent succeeded, even if it never said its id.
    session: parser.session() ?? (exit.code === 0 ? session?.id ?? null : null),
    output,
    truncated,
    stderrTail
  })
  return { outcome, status: outcome.status, report, stderrTail }
}

/**
 * The agent's argv inside bubblewrap: it may write its working directory, its own state directory
 * and this run's scratch directory, and cannot read the gateway's state or config. The executable is
 * looked up first, so a missing CLI is still reported as "not found on PATH" (inside bwrap it would
 * only be an exit status and a line on stderr).
 */
function sandboxed (spec: RunSpec, argv: string[], env: Record<string, string>, scratchDir: ScratchDir): { argv: string[] } | { error: NonNullable<ExitInfo['spawnError']> } {
  if (spec.sandbox === undefined) {
    return { error: { code: 'ESANDBOX', message: 'sandbox: bwrap is configured but bubblewrap is not available; the agent was not started unconfined' } }
  }
  const [command = '', ...rest] = argv
  const executable = command.includes('/') ? command : findOnPath(command, env.PATH)
  if (executable === null) return { error: { code: 'ENOENT', message: `${command} not found` } }
  try {
    const layout = resolveSandboxLayout({
      cwd: spec.agent.cwd,
      writable: [spec.agent.cwd, scratchDir.path, ...(spec.homeDir != null ? [spec.homeDir] : [])],
      hidden: spec.sandbox.hidden
    })
    return { argv: bwrapArgv(spec.sandbox.bwrapPath, [executable, ...rest], layout) }
  } catch (error) {
    return { error: { code: 'ESANDBOX', message: (error as Error).message } }
  }
}

function emitSafely (spec: RunSpec, event: AgentEvent): void {
  // A failing consumer must not cost the run its outcome or leave the process behind.
  try { spec.onEvent(event) } catch {}
}

function isDirectory (path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
