// A command's tool rules may only narrow its caller's ("narrows the caller's").
//
// Exact semantics:
// - allow: when both the caller and the command set `allow`, the result is their intersection in
//   the agent's rule language: a rule survives when the other side has the same rule or a broader
//   one that covers it. `Bash` covers `Bash(git log:*)`; `Bash(git:*)` covers `Bash(git log:*)` and
//   `Bash(git log)` (whole-word prefix only); any other specifier only covers itself. So caller
//   `[Bash]` and command `[Bash(git log:*)]` give `[Bash(git log:*)]`, and caller `[Read]` with
//   command `[Bash(git log:*)]` gives `[]`. When only one side sets `allow`, that side's list is
//   used as is: an unset caller `allow` puts no ceiling on its commands, so set one on every caller
//   that should have a cap. Neither set: `[]` (nothing is pre-approved).
// - deny: the union of both; a deny always wins in the agent, so adding denies only narrows.
import type { ToolsConfig } from '../config/schema.ts'

export interface ToolPolicy {
  allow: string[]
  deny: string[]
}

export function narrowTools (caller: ToolsConfig | undefined, command: ToolsConfig | undefined): ToolPolicy {
  const callerAllow = caller?.allow
  const commandAllow = command?.allow
  let allow: string[]
  if (callerAllow !== undefined && commandAllow !== undefined) {
    allow = [
      ...commandAllow.filter((rule) => callerAllow.some((broad) => covers(broad, rule))),
      ...callerAllow.filter((rule) => commandAllow.some((broad) => covers(broad, rule)))
    ]
  } else {
    allow = [...(callerAllow ?? commandAllow ?? [])]
  }
  return {
    allow: unique(allow),
    deny: unique([...(caller?.deny ?? []), ...(command?.deny ?? [])])
  }
}

const RULE = /^([^()]+)(?:\((.*)\))?$/s

/** True when `broad` permits everything `narrow` does. */
function covers (broad: string, narrow: string): boolean {
  if (broad === narrow) return true
  const b = RULE.exec(broad)
  const n = RULE.exec(narrow)
  if (b === null || n === null || b[1] !== n[1]) return false
  const broadSpec = b[2]
  const narrowSpec = n[2]
  if (broadSpec === undefined) return true
  if (narrowSpec === undefined || !broadSpec.endsWith(':*')) return false
  // `:*` is a prefix match on the command line; only a whole-word prefix counts as covering, so
  // `Bash(git:*)` covers `Bash(git log)` but not `Bash(gitk)`. Erring this way can only narrow.
  const prefix = broadSpec.slice(0, -2)
  const narrowBase = narrowSpec.endsWith(':*') ? narrowSpec.slice(0, -2) : narrowSpec
  return narrowBase === prefix || narrowBase.startsWith(prefix + ' ')
}

function unique (rules: readonly string[]): string[] {
  return [...new Set(rules)]
}
