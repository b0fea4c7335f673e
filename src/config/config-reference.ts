// docs/configuration.md, rendered from ConfigSchema so the reference cannot drift from what the
// loader accepts. The schema's TypeBox values are plain JSON Schema, so this reads JSON Schema
// keywords (properties, patternProperties, anyOf, const, items, …) and nothing TypeBox-internal.
import { ConfigSchema } from './schema.ts'

/** A JSON Schema node as TypeBox emits it; only the keywords this renderer reads. */
export interface SchemaNode {
  type?: string
  description?: string
  default?: unknown
  const?: unknown
  properties?: Record<string, SchemaNode>
  patternProperties?: Record<string, SchemaNode>
  required?: string[]
  anyOf?: SchemaNode[]
  items?: SchemaNode
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  pattern?: string
  format?: string
}

/** How a record's key is written in a key path: `callers.<id>.scheme`, `commands.<name>.prompt`. */
export function placeholderFor (recordPath: string): string {
  return recordPath === 'callers' ? '<id>' : '<name>'
}

const INTRO = `# Configuration reference

This page is generated from the schema in \`src/config/schema.ts\`; do not edit it by hand. After
changing the schema, run \`node scripts/config-reference.ts > docs/configuration.md\`.

hookgate reads one YAML file: \`--config FILE\`, else \`$HOOKGATE_CONFIG\`, else \`./hookgate.yaml\`.
Without any of them \`hookgate serve\` starts the quick-start configuration described in the README.
[\`deploy/hookgate.example.yaml\`](../deploy/hookgate.example.yaml) is an annotated example.

- **Nothing is guessed.** An unknown key, a value of the wrong type, a secret shorter than 16 bytes, a
  command a caller lists but nobody defined, or a pattern the linear-time engine cannot run stops the
  start. \`npx hookgate check\` prints every problem with its JSON-pointer path and line, and also what
  the file needs from this machine (agent CLIs on \`PATH\`, directories, bubblewrap).
- **Secrets stay out of the file.** \`\${NAME}\` in any string value is replaced by that environment
  variable; a missing or empty variable is an error. \`$\${\` writes a literal \`\${\`.
- **Paths are relative to the config file**: \`state_dir\`, \`agent.cwd\` and \`projects\`.
- **Durations are seconds**, except \`retention\` (days) and \`redis.timeout_ms\` (milliseconds); sizes
  are bytes.

Each table lists a key's full path, its type, its default (absent when there is none), what it does,
and the limits the loader enforces. \`callers.<id>\` stands for each caller's id (the \`{caller}\` in
\`/v1/hooks/{caller}\`), \`commands.<name>\` for each command's name and \`projects.<name>\` for each
project's name.
`

/** The whole Markdown document; `schema` is only ever another schema in tests. */
export function configReference (schema: object = ConfigSchema): string {
  const root = schema as SchemaNode
  const sections = Object.entries(root.properties ?? {}).map(([key, node]) =>
    renderSection(key, node, (root.required ?? []).includes(key)))
  return [INTRO, ...sections].join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n'
}

function renderSection (key: string, node: SchemaNode, required: boolean): string {
  const lines = [`## \`${key}\``, '']
  const object = objectOf(key, node)
  if (object === null) {
    // A single value: its row already carries the description.
    lines.push(...table([row(key, node, required)]))
  } else {
    if (node.description !== undefined) lines.push(oneLine(node.description), '')
    const note = [...(required ? ['Required.'] : []), ...recordNote(key, node)].join(' ')
    if (note !== '') lines.push(note, '')
    lines.push(...renderObject(object.path, object.node, 3))
  }
  return lines.join('\n') + '\n'
}

/** For a record of objects, which the tables list under a placeholder: what its names may be. */
function recordNote (path: string, node: SchemaNode): string[] {
  const patterns = Object.keys(node.patternProperties ?? {})
  if (patterns.length !== 1 || recordValue(node)?.properties === undefined) return []
  return [`Each \`${placeholderFor(path)}\` is a name matching ${code(patterns[0]!)}.`]
}

/**
 * The object whose keys a table lists: the node itself, or the value of a record (`callers.<id>`),
 * whose keys are then written under the placeholder. Null for anything without named keys.
 */
function objectOf (path: string, node: SchemaNode): { path: string, node: SchemaNode } | null {
  if (node.properties !== undefined) return { path, node }
  const value = recordValue(node)
  if (value?.properties !== undefined) return { path: `${path}.${placeholderFor(path)}`, node: value }
  return null
}

/** A table of the object's own keys, then one sub-section per key that is itself an object. */
function renderObject (path: string, node: SchemaNode, depth: number): string[] {
  const required = node.required ?? []
  const entries = Object.entries(node.properties ?? {})
  const lines = table(entries.map(([key, child]) => row(`${path}.${key}`, child, required.includes(key))))
  for (const [key, child] of entries) {
    const nested = objectOf(`${path}.${key}`, child)
    if (nested === null) continue
    lines.push('', `${'#'.repeat(Math.min(depth, 6))} \`${nested.path}\``, '')
    if (child.description !== undefined) lines.push(oneLine(child.description), '')
    const note = recordNote(`${path}.${key}`, child).join(' ')
    if (note !== '') lines.push(note, '')
    lines.push(...renderObject(nested.path, nested.node, depth + 1))
  }
  return lines
}

function table (rows: string[]): string[] {
  return ['| key | type | default | description | constraints |', '|---|---|---|---|---|', ...rows]
}

function row (path: string, node: SchemaNode, required: boolean): string {
  const value = recordValue(node)
  // A record of plain values (`projects`) is one row for its entries, under the placeholder.
  const shown = value !== null && value.properties === undefined ? `${path}.${placeholderFor(path)}` : path
  const constraints = [...(required ? ['required'] : []), ...constraintsOf(node)]
  const cells = [
    code(shown),
    typeOf(node),
    node.default === undefined ? '' : code(JSON.stringify(node.default)),
    oneLine(node.description ?? value?.description ?? ''),
    constraints.join('; ')
  ]
  return `| ${cells.map(escapeCell).join(' | ')} |`
}

function recordValue (node: SchemaNode): SchemaNode | null {
  const values = Object.values(node.patternProperties ?? {})
  return values.length === 1 ? values[0]! : null
}

function typeOf (node: SchemaNode): string {
  if (node.const !== undefined) return code(JSON.stringify(node.const))
  if (node.anyOf !== undefined) {
    const parts = node.anyOf.map(typeOf)
    return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} or ${parts.at(-1)}`
  }
  const value = recordValue(node)
  if (value !== null) return value.properties !== undefined ? 'map of objects' : `map of ${typeOf(value)}`
  if (node.type === 'array') return `list of ${node.items === undefined ? 'values' : typeOf(node.items)}`
  if (node.type === 'string' && node.format === 'uri') return 'URL'
  return node.type ?? 'any'
}

/** What the loader enforces beyond the type, in words. */
function constraintsOf (node: SchemaNode): string[] {
  const out = scalarConstraints(node)
  if (node.anyOf !== undefined) {
    for (const alternative of node.anyOf) {
      const own = scalarConstraints(alternative)
      if (own.length > 0) out.push(`${typeOf(alternative)}: ${own.join(', ')}`)
    }
  }
  if (node.minItems !== undefined) out.push(`at least ${node.minItems} item${node.minItems === 1 ? '' : 's'}`)
  if (node.maxItems !== undefined) out.push(`at most ${node.maxItems} items`)
  if (node.type === 'array' && node.items !== undefined) {
    const items = scalarConstraints(node.items)
    if (items.length > 0) out.push(`each item: ${items.join(', ')}`)
  }
  const patterns = Object.keys(node.patternProperties ?? {})
  if (patterns.length === 1) out.push(`names match ${code(patterns[0]!)}`)
  if (patterns.length === 1) {
    const value = recordValue(node)!
    const own = value.properties === undefined ? scalarConstraints(value) : []
    if (own.length > 0) out.push(`each value: ${own.join(', ')}`)
  }
  return out
}

function scalarConstraints (node: SchemaNode): string[] {
  const out: string[] = []
  if (node.minimum !== undefined) out.push(`≥ ${node.minimum}`)
  if (node.maximum !== undefined) out.push(`≤ ${node.maximum}`)
  if (node.minLength !== undefined && node.minLength > 1) out.push(`at least ${node.minLength} characters`)
  if (node.minLength === 1) out.push('not empty')
  if (node.maxLength !== undefined) out.push(`at most ${node.maxLength} characters`)
  if (node.pattern !== undefined) out.push(`matches ${code(node.pattern)}`)
  return out
}

function oneLine (text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim()
}

/** Inline code that survives backticks in the text. */
function code (text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longest + 1)
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${text}${pad}${fence}`
}

// GitHub tables split cells on `|` even inside code spans, unless it is escaped.
function escapeCell (text: string): string {
  return text.replace(/\|/g, '\\|')
}
