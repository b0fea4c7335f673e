// Schema validation with messages written for the person editing the YAML file: one problem per
// unknown key (TypeBox also reports `schema is false` per key plus an aggregate), one per union
// (instead of one per branch), and wording in YAML terms (mapping, list).
import { Value } from 'typebox/value'
import { Settings } from 'typebox/system'
import type { TSchema } from 'typebox'
import { childPointer, isObject, pointerSegments, type ConfigProblem, type JsonObject } from './problems.ts'

interface SchemaError {
  readonly keyword: string
  readonly schemaPath: string
  readonly instancePath: string
  readonly params: Record<string, unknown>
  readonly message: string
}

/** Every schema violation in `value`, each with the JSON pointer of the offending place. */
export function schemaProblems (schema: TSchema, value: unknown): ConfigProblem[] {
  const errors = allErrors(schema, value)
  const unions = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/anyOf/`)
  const problems: ConfigProblem[] = []
  for (const error of errors) {
    if (unions.some((prefix) => error.schemaPath.startsWith(prefix))) continue
    problems.push(...describe(error, schema, value))
  }
  const seen = new Set<string>()
  return problems.filter((p) => {
    const key = `${p.path}\n${p.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

// TypeBox stops at `maxErrors` (8 by default), a process-wide setting. The call is synchronous,
// so raising it for its duration and restoring it cannot affect anyone else.
function allErrors (schema: TSchema, value: unknown): SchemaError[] {
  const previous = Settings.Get().maxErrors
  Settings.Set({ maxErrors: Number.MAX_SAFE_INTEGER })
  try {
    return Value.Errors(schema, value) as unknown as SchemaError[]
  } finally {
    Settings.Set({ maxErrors: previous })
  }
}

function describe (error: SchemaError, root: TSchema, value: unknown): ConfigProblem[] {
  const path = error.instancePath
  const p = error.params
  const at = (message: string): ConfigProblem[] => [{ path, message }]
  switch (error.keyword) {
    case 'additionalProperties':
      return [] // reported once per key by the `boolean` errors below
    case 'boolean':
      return error.schemaPath.endsWith('/additionalProperties') ? at(unknownKey(error, root)) : at(error.message)
    case 'required':
      return (p.requiredProperties as string[]).map((key) => ({ path: childPointer(path, key), message: `required key "${key}" is missing` }))
    case 'anyOf':
      return at(unionMessage(resolveSchema(root, error.schemaPath)))
    case 'type':
      return at(typeMessage(String(p.type), valueAt(value, path)))
    case 'const':
      return at(`must be ${JSON.stringify(p.allowedValue)}`)
    case 'minLength':
      return at(p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters`)
    case 'maxLength':
      return at(`must be at most ${String(p.limit)} characters`)
    case 'minItems':
      return at(p.limit === 1 ? 'must list at least one item' : `must list at least ${String(p.limit)} items`)
    case 'maxItems':
      return at(`must list at most ${String(p.limit)} items`)
    case 'minimum':
      return at(`must be at least ${String(p.limit)}`)
    case 'maximum':
      return at(`must be at most ${String(p.limit)}`)
    case 'pattern':
      return at(`must match /${String(p.pattern)}/`)
    case 'format':
      return at(p.format === 'uri' ? 'must be an absolute URL (e.g. https://hooks.example.com)' : `must be a valid ${String(p.format)}`)
    default:
      return at(error.message)
  }
}

function unknownKey (error: SchemaError, root: TSchema): string {
  const key = pointerSegments(error.instancePath).at(-1) ?? ''
  const parent = resolveSchema(root, error.schemaPath.slice(0, -'/additionalProperties'.length))
  if (isObject(parent.patternProperties)) {
    const patterns = Object.keys(parent.patternProperties).map((re) => `/${re}/`).join(' or ')
    return `invalid name "${key}": must match ${patterns}`
  }
  const known = isObject(parent.properties) ? Object.keys(parent.properties) : []
  const near = known.find((k) => editDistance(k, key) <= 2)
  return near === undefined ? `unknown key "${key}"` : `unknown key "${key}" (did you mean "${near}"?)`
}

function unionMessage (schema: JsonObject): string {
  const branches = Array.isArray(schema.anyOf) ? schema.anyOf.filter(isObject) : []
  if (branches.length > 0 && branches.every((b) => 'const' in b)) {
    return `must be one of ${branches.map((b) => JSON.stringify(b.const)).join(', ')}`
  }
  return `must be ${branches.map((b) => 'const' in b ? JSON.stringify(b.const) : typeof b.pattern === 'string' ? `a string matching /${b.pattern}/` : withArticle(String(b.type))).join(' or ')}`
}

function typeMessage (expected: string, actual: unknown): string {
  if (expected === 'integer' && typeof actual === 'number') return 'must be a whole number'
  const got = actual === null ? 'empty (remove the key to use its default)' : withArticle(kindOf(actual))
  return `must be ${withArticle(expected)}, not ${got}`
}

function kindOf (value: unknown): string {
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

// YAML words, since that is what the reader wrote.
function withArticle (type: string): string {
  const words: Record<string, string> = {
    object: 'a mapping (key: value)',
    array: 'a list',
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'a boolean (true or false)',
    null: 'empty'
  }
  return words[type] ?? type
}

function resolveSchema (root: TSchema, schemaPath: string): JsonObject {
  let node: unknown = root
  for (const segment of pointerSegments(schemaPath.replace(/^#/, ''))) {
    node = isObject(node) ? node[segment] : undefined
  }
  return isObject(node) ? node : {}
}

function valueAt (root: unknown, pointer: string): unknown {
  let node: unknown = root
  for (const segment of pointerSegments(pointer)) {
    node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined
  }
  return node
}

function editDistance (a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      next[j] = Math.min((row[j] as number) + 1, (next[j - 1] as number) + 1, (row[j - 1] as number) + cost)
    }
    row = next
  }
  return row[b.length] as number
}
