// One short line saying what a tool acts on, for tool_start/tool_end events (≤ 200
// characters). It is shown to callers and on chat platforms, so it is flattened to a single line.

export const SUMMARY_MAX_CHARS = 200

/** Which input field names the target of each built-in Claude tool (sdk-tools.d.ts). */
const TARGET_FIELD: Readonly<Record<string, string>> = {
  Bash: 'command',
  Read: 'file_path',
  Edit: 'file_path',
  MultiEdit: 'file_path',
  Write: 'file_path',
  NotebookEdit: 'notebook_path',
  Glob: 'pattern',
  Grep: 'pattern',
  WebFetch: 'url',
  WebSearch: 'query',
  Task: 'description'
}

/** The command, path, pattern, URL or query of a tool call; compact JSON of the input for other tools. */
export function summarizeToolInput (name: string, input: unknown): string {
  const field = Object.hasOwn(TARGET_FIELD, name) ? TARGET_FIELD[name] : undefined
  if (field !== undefined && isRecord(input) && typeof input[field] === 'string') {
    return oneLine(input[field])
  }
  if (input === undefined) return ''
  return oneLine(safeJson(input))
}

/** Whitespace and control characters collapsed to single spaces, cut to `max` characters with "…". */
export function oneLine (text: string, max = SUMMARY_MAX_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/gu, ' ').trim()
  if (flat.length <= max) return flat
  let cut = max - 1
  // Never split a surrogate pair: a lone half is not valid in JSON consumers' eyes.
  const last = flat.charCodeAt(cut - 1)
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1
  return `${flat.slice(0, cut)}…`
}

function safeJson (value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
