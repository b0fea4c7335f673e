// What every section hands back: a table to print, goals to judge, notes, and the raw figures.
import type { LoadTool } from './load-spec.ts'
import type { ProcessSet } from './processes.ts'
import type { SectionId, Settings } from './settings.ts'

export interface Goal {
  label: string
  value: number
  target: number
  unit: string
  /** True: the value must be at least the target; false: at most. */
  atLeast: boolean
  /** How to show value and target when a number with a unit does not say it (e.g. "998/1,000"). */
  text?: { value: string, target: string }
}

export interface Table {
  columns: string[]
  rows: string[][]
}

export interface SectionResult {
  id: SectionId | 'profile'
  title: string
  /** Which tool produced the figures, per row where it differs. */
  measuredBy: string
  table: Table
  goals: Goal[]
  notes: string[]
  /** Every figure of every round, for results.json. */
  data: unknown
}

export interface BenchContext {
  settings: Settings
  procs: ProcessSet
  tool: LoadTool
  /** Whether adnanh/webhook is installed. */
  webhook: boolean
  /** A directory for load scripts and other scratch files. */
  scratch: string
  /** Progress, to stderr. */
  log: (line: string) => void
}

/** How a section starts servers: hookgate from the chosen checkout. */
export function serverOptions (ctx: BenchContext, extra: { nodeArgs?: string[] } = {}): { hookgateBin?: string, nodeArgs?: string[] } {
  return { ...(ctx.settings.hookgateBin !== null ? { hookgateBin: ctx.settings.hookgateBin } : {}), ...extra }
}

export function goalMet (goal: Goal): boolean {
  return goal.atLeast ? goal.value >= goal.target : goal.value <= goal.target
}
