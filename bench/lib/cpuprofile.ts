// Reads a V8 .cpuprofile (what `node --cpu-prof` writes) into the functions that cost the most
// self time: each sample's time delta is charged to the node it landed in, then nodes are summed
// by function and location.
import { fileURLToPath } from 'node:url'

interface CallFrame { functionName: string, url: string, lineNumber: number, columnNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, hitCount?: number }
export interface CpuProfile { nodes: ProfileNode[], startTime: number, endTime: number, samples?: number[], timeDeltas?: number[] }

export interface FunctionCost {
  name: string
  /** `path:line` relative to the repository, `node:…` for Node's own code, empty for V8's pseudo-nodes. */
  location: string
  selfMs: number
  /** Share of the time the process was not idle. */
  percent: number
}

export interface ProfileSummary {
  totalMs: number
  idleMs: number
  /** False when the window held no sample and the whole profile was used instead. */
  windowed: boolean
  top: FunctionCost[]
}

/** A span of CLOCK_MONOTONIC in microseconds: V8's profile clock, and process.hrtime's. */
export interface Window { fromUs: number, toUs: number }

/** The monotonic clock now, in the profile's unit. */
export function monotonicUs (): number {
  return Number(process.hrtime.bigint() / 1000n)
}

const REPO = fileURLToPath(new URL('../../', import.meta.url))

function where (frame: CallFrame): string {
  if (frame.url === '') return ''
  const path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url
  const shown = path.startsWith(REPO) ? path.slice(REPO.length) : path
  return `${shown}:${frame.lineNumber + 1}`
}

/** Self time per node; only samples inside `window` when given. */
function selfTimes (profile: CpuProfile, window: Window | null): Map<number, number> {
  const selfUs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  let at = profile.startTime
  samples.forEach((id, i) => {
    // timeDeltas[i] is the time since the previous sample: the interval sample i stands for.
    const delta = Math.max(0, deltas[i] ?? 0)
    at += delta
    if (window === null || (at >= window.fromUs && at <= window.toUs)) selfUs.set(id, (selfUs.get(id) ?? 0) + delta)
  })
  return selfUs
}

/**
 * The `count` functions with the most self time. With `window`, only samples taken inside it count
 * (so start-up, module loading and shutdown stay out of a profile of the load).
 */
export function summariseProfile (profile: CpuProfile, count = 20, window: Window | null = null): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  let selfUs = selfTimes(profile, window)
  const windowed = window !== null && selfUs.size > 0
  if (window !== null && !windowed) selfUs = selfTimes(profile, null)
  if ((profile.samples ?? []).length === 0) {
    // No sample list: fall back to hit counts at the mean interval.
    const hits = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0)
    const interval = hits === 0 ? 0 : (profile.endTime - profile.startTime) / hits
    for (const n of profile.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * interval)
  }
  const byFunction = new Map<string, { name: string, location: string, us: number }>()
  let idleUs = 0
  let totalUs = 0
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame
    if (frame === undefined) continue
    totalUs += us
    if (frame.functionName === '(idle)') {
      idleUs += us
      continue
    }
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName
    const location = where(frame)
    const key = `${name}\n${location}`
    const entry = byFunction.get(key) ?? { name, location, us: 0 }
    entry.us += us
    byFunction.set(key, entry)
  }
  const busyUs = totalUs - idleUs
  const top = [...byFunction.values()].sort((a, b) => b.us - a.us).slice(0, count)
    .map((f) => ({ name: f.name, location: f.location, selfMs: f.us / 1000, percent: busyUs === 0 ? 0 : (100 * f.us) / busyUs }))
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, windowed, top }
}
