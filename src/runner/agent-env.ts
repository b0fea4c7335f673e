// The agent's whole environment, built from an allowlist: the gateway's own secrets (signing secrets,
// admin token, platform tokens) live in its environment and must never reach a prompt-driven process.

/** Passed through from the gateway's environment when present: what any CLI needs to run at all. */
const BASE_NAMES = ['PATH', 'HOME', 'LANG'] as const

/** Always set: plain, uncoloured output that is easy to parse. */
const FIXED: Readonly<Record<string, string>> = { TERM: 'dumb', NO_COLOR: '1' }

/**
 * PATH, HOME and LANG (when present in `source`), TERM=dumb, NO_COLOR=1, the names in `allow` that are
 * present in `source`, then `extra` (a profile's own settings). Nothing else, ever.
 * TERM and NO_COLOR win over an allowlisted value of the same name; `extra` wins over everything.
 */
export function buildAgentEnv (
  source: NodeJS.ProcessEnv,
  allow: readonly string[],
  extra?: Readonly<Record<string, string>>
): Record<string, string> {
  const passed: Array<[string, string]> = []
  for (const name of [...BASE_NAMES, ...allow]) {
    // Own properties only: a name like "constructor" must not pick anything up from a prototype.
    const value = Object.hasOwn(source, name) ? source[name] : undefined
    if (typeof value === 'string') passed.push([name, value])
  }
  // fromEntries defines properties, so even "__proto__" stays a plain variable name.
  return Object.fromEntries([...passed, ...Object.entries(FIXED), ...Object.entries(extra ?? {})])
}
