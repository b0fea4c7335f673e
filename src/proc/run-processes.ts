// Finds and signals the processes of one run: members of the leader's process group, and anything
// carrying the run's marker (setsid escapees), on this boot only. Used at the end of every run and,
// after a gateway crash, from the record the store kept at spawn. The rule throughout: a pid is only
// signalled while it still names the process we identified (same start time, same boot), and never
// the gateway itself, its ancestors or their process groups.
import { currentBootId, envValues, isDead, listProcesses, processIdentity, type ProcessEntry } from './process-table.ts'
import { assertRunId, RUN_MARKER_VAR } from './run-marker.ts'

/** What the store persists at spawn; (pid, startTicks, bootId) names the leader unambiguously. */
export interface RunProcessRecord {
  runId: string
  pid: number
  pgid: number
  startTicks: number
  bootId: string
}

/** For a run without a record (the gateway died between spawn and saving it): the marker alone. */
export interface RunMarkerQuery {
  runId: string
  /** Only processes started at or after this many clock ticks since boot (e.g. when the run started). */
  notBeforeTicks?: number
  /** The boot the run belongs to; on any other boot nothing is found. */
  bootId?: string
}

export type RunProcessTarget = RunProcessRecord | RunMarkerQuery

export interface RunProcess extends ProcessEntry {
  /** How it was recognised: in the leader's process group, or by the run marker in its environment. */
  via: 'group' | 'marker'
}

export interface KillOptions {
  /** Leave this process group alone: its owner signals it itself (the runner's own group kill). */
  exceptPgid?: number
}

/** SIGKILL passes: a process forked while we scanned shows up in the next one. */
const MAX_KILL_PASSES = 5

/** The record to persist for a just-spawned leader; null when the pid is gone or there is no /proc. */
export function recordFor (runId: string, pid: number): RunProcessRecord | null {
  assertRunId(runId)
  const identity = processIdentity(pid)
  if (identity === null) return null
  return { runId, pid, pgid: identity.pgid, startTicks: identity.startTicks, bootId: identity.bootId }
}

/**
 * Every live (non-zombie) process of the run: the recorded process group while its leader is still
 * the recorded process, plus every process whose environment carries HOOKGATE_RUN_ID=<runId>, all
 * started no earlier than the leader. Empty on another boot or without /proc.
 *
 * Once the leader is gone, group members are only found through the marker: a group whose leader
 * pid is free may be a stranger's new group under a reused number, and "started later" cannot tell
 * the two apart (a stranger is always newer).
 */
export function findRunProcesses (target: RunProcessTarget): RunProcess[] {
  assertRunId(target.runId)
  return findIn(target, takeSnapshot())
}

/** One reading of the process table, shared by every target looked up in it. */
interface Snapshot {
  bootId: string | null
  table: ProcessEntry[]
  shield: Shield
  /** The run markers of each process whose environment was read (null: unreadable). */
  markers: Map<number, string[] | null>
}

function takeSnapshot (): Snapshot {
  const bootId = currentBootId()
  const table = bootId === null ? [] : listProcesses()
  return { bootId, table, shield: gatewayAndAncestors(table), markers: new Map() }
}

function findIn (target: RunProcessTarget, snapshot: Snapshot): RunProcess[] {
  const { bootId, table, shield } = snapshot
  if (bootId === null) return []
  if (target.bootId !== undefined && target.bootId !== bootId) return []
  const group = isRecord(target) ? trustedGroup(target, table, shield) : null
  const notBefore = isRecord(target) ? target.startTicks : target.notBeforeTicks ?? 0
  const found: RunProcess[] = []
  for (const entry of table) {
    if (isDead(entry) || shield.pids.has(entry.pid) || entry.startTicks < notBefore) continue
    if (group !== null && entry.pgid === group) {
      found.push({ ...entry, via: 'group' })
    } else if (markersOf(snapshot, entry.pid)?.includes(target.runId) === true) {
      found.push({ ...entry, via: 'marker' })
    }
  }
  return found
}

function markersOf (snapshot: Snapshot, pid: number): string[] | null {
  let markers = snapshot.markers.get(pid)
  if (markers === undefined) {
    markers = envValues(pid, RUN_MARKER_VAR)
    snapshot.markers.set(pid, markers)
  }
  return markers
}

/**
 * Signals every process findRunProcesses finds and returns how many distinct processes were
 * signalled. The group is signalled with kill(-pgid) (which also reaches members forked since the
 * scan) only after checking once more that the leader is still the recorded process; everything else
 * one pid at a time, each re-checked against its start time just before. SIGKILL repeats the scan
 * until a pass finds nothing new, for processes forked in the meantime.
 */
export function killRunProcesses (target: RunProcessTarget, signal: NodeJS.Signals, options: KillOptions = {}): number {
  return killEachRun([{ target, signal, options }])[0] ?? 0
}

export interface KillRequest {
  target: RunProcessTarget
  signal: NodeJS.Signals
  options?: KillOptions
}

/**
 * killRunProcesses for several runs at once, in order, from one reading of the process table per
 * pass instead of one per run: reading /proc costs about a millisecond on a quiet machine, and at a
 * few hundred finished runs a second that was most of the spawner's time. Returns the count of each.
 */
export function killEachRun (requests: readonly KillRequest[]): number[] {
  for (const { target } of requests) assertRunId(target.runId)
  const signalled = requests.map(() => new Set<number>())
  let active = requests.map((_, i) => i)
  for (let pass = 0; pass < MAX_KILL_PASSES && active.length > 0; pass++) {
    const snapshot = takeSnapshot()
    const again: number[] = []
    for (const i of active) {
      const { target, signal, options = {} } = requests[i]!
      const done = signalled[i]!
      const fresh = findIn(target, snapshot).filter((p) => p.pgid !== options.exceptPgid && !done.has(p.pid))
      if (fresh.length === 0) continue
      const groupSignalled = isRecord(target) && fresh.some((p) => p.via === 'group') && signalGroup(target, signal)
      for (const p of fresh) {
        if ((p.via === 'group' && groupSignalled) || signalProcess(p, signal)) done.add(p.pid)
      }
      if (signal === 'SIGKILL') again.push(i)
    }
    active = again
  }
  return signalled.map((done) => done.size)
}

function isRecord (target: RunProcessTarget): target is RunProcessRecord {
  return 'pid' in target
}

interface Shield {
  pids: Set<number>
  pgids: Set<number>
}

/**
 * The gateway and its ancestors, and their process groups: never signalled, even when they carry the
 * marker (a gateway started by an agent of another gateway) or a record names them.
 */
function gatewayAndAncestors (table: readonly ProcessEntry[]): Shield {
  const byPid = new Map(table.map((e) => [e.pid, e]))
  const shield: Shield = { pids: new Set([process.pid]), pgids: new Set([0, 1]) }
  for (let entry = byPid.get(process.pid); entry !== undefined; entry = byPid.get(entry.ppid)) {
    shield.pids.add(entry.pid)
    shield.pgids.add(entry.pgid)
    if (entry.ppid === 0 || shield.pids.has(entry.ppid)) break
  }
  return shield
}

/**
 * The recorded group, if the leader still is the recorded process (a zombie leader counts: it keeps
 * its pid, so the group number cannot have been handed to anyone else).
 */
function trustedGroup (record: RunProcessRecord, table: readonly ProcessEntry[], shield: Shield): number | null {
  const leader = table.find((e) => e.pid === record.pid)
  if (leader === undefined || leader.startTicks !== record.startTicks || leader.pgid !== record.pgid) return null
  return shield.pgids.has(record.pgid) ? null : record.pgid
}

function signalGroup (record: RunProcessRecord, signal: NodeJS.Signals): boolean {
  const leader = processIdentity(record.pid)
  if (leader === null || leader.bootId !== record.bootId || leader.startTicks !== record.startTicks || leader.pgid !== record.pgid) return false
  try {
    process.kill(-record.pgid, signal)
    return true
  } catch {
    return false // ESRCH: the group is gone
  }
}

/**
 * Between this check and kill() the pid could still be freed and reused: a window of microseconds
 * that only a pidfd would close, and Node has none.
 */
function signalProcess (entry: ProcessEntry, signal: NodeJS.Signals): boolean {
  const now = processIdentity(entry.pid)
  if (now === null || now.startTicks !== entry.startTicks || isDead(now)) return false
  try {
    process.kill(entry.pid, signal)
    return true
  } catch {
    return false
  }
}
