// Watches one launched process until it has exited and its output is read: the timeout, the cancel
// signal, the SIGTERM → SIGKILL escalation and the group kill that follows every exit. Knows nothing
// about agents or their output format.
import type { ExitInfo, LaunchedProcess, OutputChunk } from './launcher.ts'

export type StopReason = 'timeout' | 'idle' | 'cancel'

export interface SuperviseOptions {
  timeoutMs: number
  /** Stop the process after this long without output; 0 or absent: never. */
  idleMs?: number
  /** While true, silence does not count (e.g. a permission question waits for a human). */
  idlePaused? (): boolean
  /** Between SIGTERM and SIGKILL when the run is stopped; asked at that moment (a shutdown allows longer). */
  graceMs: number | (() => number)
  /** Aborting it stops the process (reason "cancel"). */
  signal: AbortSignal
  /** Every output chunk, synchronously, in arrival order. */
  onChunk (chunk: OutputChunk): void
}

/** How long pipes may stay open after the leader exited and its group was killed (setsid escapees). */
export const DRAIN_AFTER_EXIT_MS = 2000
/** setTimeout's ceiling; a longer timeout would otherwise fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Resolves once the process has exited and its output is drained (or abandoned); never rejects. */
export async function supervise (child: LaunchedProcess, opts: SuperviseOptions): Promise<{ exit: ExitInfo, stoppedBy: StopReason | null }> {
  let stoppedBy: StopReason | null = null
  let graceTimer: NodeJS.Timeout | undefined
  const stop = (reason: StopReason): void => {
    if (stoppedBy !== null) return
    stoppedBy = reason
    child.killGroup('SIGTERM')
    graceTimer = setTimeout(() => child.killGroup('SIGKILL'), typeof opts.graceMs === 'function' ? opts.graceMs() : opts.graceMs)
  }
  // Node timers run on the monotonic clock, so a wall-clock jump neither fires nor delays this.
  const timeoutTimer = setTimeout(() => stop('timeout'), Math.min(opts.timeoutMs, MAX_TIMER_MS))
  const idle = watchIdle(opts, () => stop('idle'))
  const onAbort = (): void => stop('cancel')
  opts.signal.addEventListener('abort', onAbort, { once: true })
  if (opts.signal.aborted) stop('cancel')

  const reading = readAll(child, (chunk) => { idle.touch(); opts.onChunk(chunk) })
  let exit: ExitInfo = { code: null, signal: null, spawnError: null }
  try {
    exit = await child.exited
  } finally {
    opts.signal.removeEventListener('abort', onAbort)
    clearTimeout(timeoutTimer)
    clearTimeout(graceTimer)
    idle.stop()
    // The leader is gone: whatever it left in its group dies now, which also closes their pipe ends.
    child.killGroup('SIGKILL')
    await drain(reading, child)
  }
  return { exit, stoppedBy }
}

/**
 * Checks for silence on a coarse interval rather than re-arming a timer per chunk: an agent flooding
 * its pipes would otherwise create thousands of timers a second.
 */
function watchIdle (opts: SuperviseOptions, onIdle: () => void): { touch (): void, stop (): void } {
  const idleMs = opts.idleMs ?? 0
  if (idleMs <= 0) return { touch () {}, stop () {} }
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    if (opts.idlePaused?.() === true) last = now
    else if (now - last >= idleMs) {
      clearInterval(timer)
      onIdle()
    }
  }, Math.max(50, Math.min(idleMs / 4, 5000)))
  return { touch () { last = performance.now() }, stop () { clearInterval(timer) } }
}

async function readAll (child: LaunchedProcess, onChunk: (chunk: OutputChunk) => void): Promise<void> {
  try {
    for await (const chunk of child.output) onChunk(chunk)
  } catch {
    // A read error only ends the output; the exit status decides the outcome.
  }
}

/** Waits for the pipes to close; if something outside the group still holds them, stops reading. */
async function drain (reading: Promise<void>, child: LaunchedProcess): Promise<void> {
  if (await within(reading, DRAIN_AFTER_EXIT_MS)) return
  child.release()
  // A launcher that ignores release() must not hold the outcome back; the caller mutes late output.
  await within(reading, 100)
}

async function within (work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms) })
  try {
    return await Promise.race([work.then(() => true), late])
  } finally {
    clearTimeout(timer)
  }
}
