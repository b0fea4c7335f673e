// Reading untrusted JSON without trusting its shape: only own properties are read, so a key such as
// `constructor` or `__proto__` can never reach through to Object.prototype.

export type JsonObject = { readonly [key: string]: unknown }

export function isObject (value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function objectAt (obj: JsonObject | undefined, key: string): JsonObject | undefined {
  if (obj === undefined || !Object.hasOwn(obj, key)) return undefined
  const value = obj[key]
  return isObject(value) ? value : undefined
}

export function stringAt (obj: JsonObject | undefined, key: string): string | undefined {
  if (obj === undefined || !Object.hasOwn(obj, key)) return undefined
  const value = obj[key]
  return typeof value === 'string' ? value : undefined
}

export function valueAt (obj: JsonObject | undefined, key: string): unknown {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined
}
