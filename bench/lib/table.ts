// Markdown rendering of the figures.
import { goalMet, type Goal, type SectionResult, type Table } from './section.ts'
import type { Spread } from './stats.ts'
import type { Machine } from './machine.ts'
import type { Settings } from './settings.ts'

/** A number with thousands separators and `digits` decimals; "—" for NaN. */
export function num (value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '—'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** "median (min–max)", or just the median for a single round; `unit` follows the median. */
export function ranged (s: Spread, digits = 0, unit = ''): string {
  if (s.min === s.max) return `${num(s.median, digits)}${unit}`
  return `${num(s.median, digits)}${unit} (${num(s.min, digits)}–${num(s.max, digits)})`
}

export function markdownTable ({ columns, rows }: Table): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(columns), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')
}

function goalLine (goal: Goal): string {
  const digits = goal.unit === '×' ? 2 : 1
  const sign = goal.atLeast ? '≥' : '≤'
  const verdict = goalMet(goal) ? '**met**' : '**missed**'
  const value = goal.text?.value ?? `${num(goal.value, digits)}${goal.unit}`
  const target = goal.text?.target ?? `${sign} ${num(goal.target, digits)}${goal.unit}`
  return `- ${goal.label}: ${value} (goal ${target}) — ${verdict}`
}

export function renderSection (section: SectionResult): string {
  const parts = [`## ${section.title}`, '', `Measured by: ${section.measuredBy}`, '', markdownTable(section.table)]
  if (section.goals.length > 0) parts.push('', ...section.goals.map(goalLine))
  if (section.notes.length > 0) parts.push('', ...section.notes.map((n) => `> ${n}`))
  return parts.join('\n')
}

export function renderHeader (m: Machine, settings: Settings): string {
  const run = settings.profile !== null
    ? `Profile: hookgate under the ${settings.profile} load for ${settings.durationS} s, ${settings.connections} connections.`
    : `Run: ${settings.rounds} round(s), ${settings.durationS} s of load per contender per round, ${settings.connections} connections${settings.quick ? ' (--quick: a smoke check, not figures to quote)' : ''}. ` +
      'Figures are the median of the rounds, with their range in parentheses.'
  return [
    '# hookgate benchmarks',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Linux ${m.kernel}, Node ${m.node}, state in ${m.tmpFs} — ${m.date}`,
    `Tools: ${m.wrk ?? 'wrk not installed'}; ${m.webhook ?? 'webhook not installed'}`,
    run
  ].join('\n')
}
