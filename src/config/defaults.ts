// Fills in schema defaults by walking the plain JSON Schema keywords.
// Not Value.Default: in TypeBox 1.4 it only descends into schemas that still carry their
// non-enumerable `~kind` marker, which `{ ...Schema, default }` drops (server, agent, limits,
// policy, audit, log), and into record values only when the value schema itself has a default
// (callers, commands). Both would leave nested defaults silently unset.
import { childPointer, isObject, type JsonObject } from './problems.ts'

/**
 * Returns `value` with every missing key that has a schema default filled in (defaults are cloned).
 * Strings listed in `coercible` (a whole `${NAME}`) are converted when the schema wants an integer or a boolean.
 * Mutates objects and arrays of `value` in place: pass a private copy.
 */
export function applyDefaults (schema: unknown, value: unknown, coercible: ReadonlySet<string>, path = ''): unknown {
  if (!isObject(schema)) return value
  let out = value
  if (out === undefined && 'default' in schema) out = structuredClone(schema.default)
  if (typeof out === 'string' && coercible.has(path)) out = coerce(schema, out)
  if (isObject(out)) {
    const properties = isObject(schema.properties) ? schema.properties : {}
    for (const [key, sub] of Object.entries(properties)) {
      const filled = applyDefaults(sub, out[key], coercible, childPointer(path, key))
      if (filled !== undefined) out[key] = filled
    }
    const patterns = isObject(schema.patternProperties) ? schema.patternProperties : {}
    for (const [pattern, sub] of Object.entries(patterns)) {
      const re = new RegExp(pattern, 'u')
      for (const key of Object.keys(out)) {
        if (re.test(key)) out[key] = applyDefaults(sub, out[key], coercible, childPointer(path, key))
      }
    }
  } else if (Array.isArray(out) && isObject(schema.items)) {
    const items: JsonObject = schema.items
    out = out.map((item, i) => applyDefaults(items, item, coercible, childPointer(path, i)))
  }
  return out
}

function coerce (schema: JsonObject, text: string): unknown {
  const types = Array.isArray(schema.anyOf) ? schema.anyOf.filter(isObject).map((s) => s.type) : [schema.type]
  if ((types.includes('integer') || types.includes('number')) && /^[+-]?\d+$/.test(text)) return Number(text)
  if (types.includes('boolean') && (text === 'true' || text === 'false')) return text === 'true'
  return text
}
