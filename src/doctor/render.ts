// How doctor's findings are printed: one line per check with a mark, its group and its message, the
// fix and any details indented below it, and a closing count. Terminals get ✓ ! ✗ in colour; pipes,
// files and NO_COLOR get [ok] [warn] [fail] [info], which survive any font and are easy to grep.
import { oneLine, type Style } from '../cli/style.ts'
import type { Check, CheckStatus } from './check.ts'

const UNICODE_MARKS: Readonly<Record<CheckStatus, string>> = { ok: '✓', warn: '!', fail: '✗', info: '·' }
const ASCII_MARKS: Readonly<Record<CheckStatus, string>> = { ok: '[ok]', warn: '[warn]', fail: '[fail]', info: '[info]' }
const GROUP_WIDTH = 8

export interface TextOptions {
  /** Glyphs and colour (a terminal without NO_COLOR) or plain ASCII. */
  readonly fancy: boolean
  readonly style: Style
}

export function renderText (checks: readonly Check[], options: TextOptions): string {
  const marks = options.fancy ? UNICODE_MARKS : ASCII_MARKS
  const markWidth = Math.max(...Object.values(marks).map((m) => m.length))
  const indent = ' '.repeat(markWidth + 1 + GROUP_WIDTH + 1)
  const paint = (status: CheckStatus, text: string): string => {
    if (!options.fancy) return text
    if (status === 'ok') return options.style.green(text)
    if (status === 'warn') return options.style.yellow(text)
    if (status === 'fail') return options.style.red(text)
    return options.style.dim(text)
  }
  const lines: string[] = []
  for (const check of checks) {
    // Messages can quote what other programs printed (a CLI's version, a Redis error): one line each.
    lines.push(`${paint(check.status, marks[check.status].padEnd(markWidth))} ${check.group.padEnd(GROUP_WIDTH)} ${oneLine(check.message)}`)
    for (const detail of check.details ?? []) lines.push(`${indent}${oneLine(detail)}`)
    if (check.fix !== undefined) lines.push(`${indent}${options.fancy ? options.style.bold('fix:') : 'fix:'} ${oneLine(check.fix)}`)
  }
  lines.push('', summary(checks))
  return `${lines.join('\n')}\n`
}

/** The checks as a JSON array, one object per line of the text output. */
export function renderJson (checks: readonly Check[]): string {
  return `${JSON.stringify(checks, null, 2)}\n`
}

function summary (checks: readonly Check[]): string {
  const count = (status: CheckStatus): number => checks.filter((c) => c.status === status).length
  const failures = count('fail')
  const warnings = count('warn')
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
  if (failures === 0 && warnings === 0) return 'No problems found.'
  return `${plural(failures, 'problem')}, ${plural(warnings, 'warning')}.`
}
