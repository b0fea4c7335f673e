// `@name` at the start of a message picks one of the caller's projects (its working directory).
// Only configured names can be picked: the text never becomes a path, so `@../..` or `@/etc` can
// only be refused, never resolved.
import type { Config } from '../config/schema.ts'

export type ProjectPick =
  /** The caller has no projects, or the text names none: unchanged. */
  | { kind: 'none', text: string }
  | { kind: 'picked', project: string, text: string }
  /** `rule` names why, without echoing the text. */
  | { kind: 'refused', rule: string }

const PICK = /^\s*@(\S+)(?:\s+|$)/

export function pickProject (config: Config, callerId: string, text: string): ProjectPick {
  const allowed = config.callers[callerId]?.projects ?? []
  if (allowed.length === 0) return { kind: 'none', text }
  const m = PICK.exec(text)
  if (m === null) return { kind: 'none', text }
  const name = (m[1] as string).toLowerCase()
  if (!allowed.includes(name)) return { kind: 'refused', rule: `project (pick one of this caller's projects: ${allowed.map((p) => `@${p}`).join(', ')})` }
  return { kind: 'picked', project: name, text: text.slice(m[0].length) }
}
