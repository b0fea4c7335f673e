// Where the log's files live. The live file is `audit.jsonl`; rotation renames it to
// `audit.000001.jsonl`, `audit.000002.jsonl`… (numbered in order, so they also sort by name up to
// 999999 files); `audit.head` holds the keyed head anchor.
import { readdirSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

export const LIVE_FILE = 'audit.jsonl'

/** The files of one log: its live file's name `<base>.jsonl` decides the rest. */
export interface LogLayout {
  readonly dir: string
  /** `audit` for `audit.jsonl`. */
  readonly base: string
  readonly livePath: string
  readonly anchorPath: string
}

export function layoutOf (livePath: string): LogLayout {
  const name = basename(livePath)
  const base = name.endsWith('.jsonl') ? name.slice(0, -'.jsonl'.length) : name
  const dir = dirname(livePath)
  return { dir, base, livePath, anchorPath: join(dir, `${base}.head`) }
}

export function rotatedName (base: string, index: number): string {
  return `${base}.${String(index).padStart(6, '0')}.jsonl`
}

/** The index in a rotated file's name (`audit.000012.jsonl` → 12), or null for any other name. */
export function rotatedIndex (base: string, name: string): number | null {
  if (!name.startsWith(`${base}.`) || !name.endsWith('.jsonl')) return null
  const digits = name.slice(base.length + 1, -'.jsonl'.length)
  return /^[0-9]{6,15}$/.test(digits) ? Number(digits) : null
}

export interface RotatedFile {
  readonly index: number
  readonly name: string
  readonly path: string
}

/** The rotated predecessors of a log, oldest first (by number, not by name). */
export function listRotated (layout: LogLayout): RotatedFile[] {
  let names: string[]
  try {
    names = readdirSync(layout.dir)
  } catch {
    return []
  }
  const files: RotatedFile[] = []
  for (const name of names) {
    const index = rotatedIndex(layout.base, name)
    if (index !== null) files.push({ index, name, path: join(layout.dir, name) })
  }
  return files.sort((a, b) => a.index - b.index)
}
