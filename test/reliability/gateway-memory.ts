// The memory of a gateway process together with the processes it starts for itself (any direct child
// that is not an agent, such as a process that spawns agents and reads their pipes): work moved out
// of the gateway's own process must not move out of the figure too.
import { readFileSync } from 'node:fs'
import { childPids } from './kernel-counters.ts'
import { memoryOf } from './proc-watch.ts'

/** Direct children of the gateway that are not agents (agents carry CHAOS_TAG=<tag> in their environment). */
export function ownChildren (gw: { pid: number, tag: string }): number[] {
  return childPids(gw.pid).filter((pid) => {
    try {
      return !readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`CHAOS_TAG=${gw.tag}`)
    } catch {
      return false
    }
  })
}

export interface FamilyMemory {
  /** The gateway and its own children, when sampling began. */
  base: number
  /** The highest sum seen. */
  peak: number
  /** The gateway process alone: first sample and highest. */
  gateway: { base: number, peak: number }
  /** Its own children together: highest sum seen (0 when it has none). */
  childrenPeak: number
}

/** Samples every `everyMs` until stop(), which takes a last sample. */
export function watchGatewayMemory (gw: { pid: number, tag: string }, everyMs: number): { stop: () => FamilyMemory } {
  const sample = (): { gateway: number, children: number } => {
    let children = 0
    for (const pid of ownChildren(gw)) {
      try { children += memoryOf(pid).rss } catch {}
    }
    return { gateway: memoryOf(gw.pid).rss, children }
  }
  const first = sample()
  const figures: FamilyMemory = { base: first.gateway + first.children, peak: first.gateway + first.children, gateway: { base: first.gateway, peak: first.gateway }, childrenPeak: first.children }
  const take = (): void => {
    try {
      const now = sample()
      figures.peak = Math.max(figures.peak, now.gateway + now.children)
      figures.gateway.peak = Math.max(figures.gateway.peak, now.gateway)
      figures.childrenPeak = Math.max(figures.childrenPeak, now.children)
    } catch {}
  }
  const timer = setInterval(take, everyMs)
  return {
    stop: () => {
      clearInterval(timer)
      take()
      return figures
    }
  }
}
