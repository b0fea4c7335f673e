// `${NAME}` in any string value (never in keys) is replaced by that environment variable, so
// secrets stay out of the file. Rules, chosen so that nothing is guessed:
// - NAME matches [A-Za-z_][A-Za-z0-9_]*; anything else after `${` (`${1X}`, `${A:-b}`, a missing
//   `}`) is an error rather than text, because a default-value syntax silently taken literally
//   would become a secret.
// - A variable that is missing or empty is an error: an empty secret must never load.
// - `$${` writes a literal `${`. Only that sequence is an escape, so `$`, `$$` and `$NAME`
//   elsewhere (passwords, shell snippets in prompts) stay exactly as written.
// - Substituted text is not scanned again: a value containing `${X}` stays literal.
// Every substituted value is reported back: `${NAME}` is how secrets enter the config, so each one
// is treated as a secret that must never leave the gateway (src/secrets/).
import { childPointer, isObject, type ConfigProblem } from './problems.ts'

const REFERENCE = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/
const WHOLE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/

export interface Substituted {
  readonly value: unknown
  readonly problems: ConfigProblem[]
  /** Pointers of strings that were exactly one `${NAME}`: these may take the type the schema expects (e.g. `port: ${PORT}`). */
  readonly whole: ReadonlySet<string>
  /** Each distinct value substitution put in, in order of first use. */
  readonly values: readonly string[]
}

/** Returns a substituted copy of a parsed YAML value; the input is not modified. */
export function substituteEnv (value: unknown, env: NodeJS.ProcessEnv): Substituted {
  const problems: ConfigProblem[] = []
  const whole = new Set<string>()
  const values = new Set<string>()
  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === 'string') {
      const out = substituteString(node, env)
      for (const found of out.values) values.add(found)
      for (const message of out.problems) problems.push({ path, message })
      if (out.whole) whole.add(path)
      return out.text
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, childPointer(path, i)))
    // fromEntries defines own properties, so a `__proto__` key stays a key (and is then refused as unknown).
    if (isObject(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, childPointer(path, k))]))
    return node
  }
  const substituted = walk(value, '')
  return { value: substituted, problems, whole, values: [...values] }
}

function substituteString (text: string, env: NodeJS.ProcessEnv): { text: string, problems: string[], whole: boolean, values: string[] } {
  if (!text.includes('$')) return { text, problems: [], whole: false, values: [] }
  const problems: string[] = []
  const values: string[] = []
  let out = ''
  let i = 0
  while (i < text.length) {
    const ch = text[i] as string
    if (ch !== '$') {
      out += ch
      i++
    } else if (text.startsWith('$${', i)) {
      out += '${'
      i += 3
    } else if (text.startsWith('${', i)) {
      const match = REFERENCE.exec(text.slice(i + 1))
      if (match === null) {
        // Only up to the first character that is not part of a name: the rest may be a secret typed inline.
        const shown = /^\$\{[A-Za-z0-9_]*.?/su.exec(text.slice(i))?.[0] ?? '${'
        problems.push(`invalid environment reference starting ${JSON.stringify(shown)}: write \${NAME} with NAME matching [A-Za-z_][A-Za-z0-9_]* (no default values), or $\${ for a literal \${`)
        out += '${'
        i += 2
      } else {
        const name = match[1] as string
        const found = env[name]
        if (found === undefined) problems.push(`environment variable ${name} is not set`)
        else if (found === '') problems.push(`environment variable ${name} is not set (it is empty)`)
        else values.push(found)
        out += found ?? ''
        i += 1 + match[0].length
      }
    } else {
      out += ch
      i++
    }
  }
  return { text: out, problems, whole: WHOLE.test(text), values }
}
