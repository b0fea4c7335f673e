// Shared shape of what the loader reports, so errors and warnings print the same way.

/** One finding about the configuration; `path` is a JSON pointer (RFC 6901) into the document, '' for the root. */
export interface ConfigProblem {
  readonly path: string
  readonly message: string
}

/** Appends one segment to a JSON pointer, escaping `~` and `/` as RFC 6901 requires. */
export function childPointer (base: string, segment: string | number): string {
  return `${base}/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`
}

/** Splits a JSON pointer into its unescaped segments. */
export function pointerSegments (pointer: string): string[] {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

export type JsonObject = Record<string, unknown>

export function isObject (value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
