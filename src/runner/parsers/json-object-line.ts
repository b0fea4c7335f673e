// One JSON object per stdout line, as JSONL agent CLIs write them; anything else on stdout is text
// the parser passes on as a log line.

export type JsonObject = Record<string, unknown>

/** The line's object; null for plain text, arrays, scalars and broken JSON. */
export function parseJsonObjectLine (line: string): JsonObject | null {
  // Cheap pre-check: a flood of plain text is never handed to JSON.parse.
  if (line.trimStart()[0] !== '{') return null
  try {
    return asObject(JSON.parse(line))
  } catch {
    return null
  }
}

export function asObject (value: unknown): JsonObject | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as JsonObject : null
}

/** The value when it is a non-empty string, else null. */
export function asText (value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}
