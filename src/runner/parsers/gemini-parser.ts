// Reads Gemini CLI's `--output-format stream-json` lines into AgentEvents. The final
// `result` line carries no text, so the answer is the assistant deltas put together, exactly as they
// were streamed. Unknown types are ignored: the CLI adds new ones between releases.
import type { AgentEvent } from '../agent-event.ts'
import type { AgentReport, OutputParser } from '../profiles/profile.ts'
import { oneLine, summarizeToolInput } from '../tool-summary.ts'
import { ANSWER_MAX_CHARS } from './answer-text.ts'
import { firstLine } from './first-line.ts'
import { asObject, asText, parseJsonObjectLine, type JsonObject as Json } from './json-object-line.ts'

/** Put before text that follows a tool call, which the CLI streams back to back with the text before. */
const TURN_SEPARATOR = '\n\n'

/** Which parameter names the target of each built-in Gemini tool (0.61 tool definitions). */
const TARGET_PARAM: Readonly<Record<string, string>> = {
  run_shell_command: 'command',
  read_file: 'file_path',
  write_file: 'file_path',
  replace: 'file_path',
  glob: 'pattern',
  grep_search: 'pattern',
  search_file_content: 'pattern',
  list_directory: 'dir_path',
  web_fetch: 'prompt',
  google_web_search: 'query'
}

export function createGeminiParser (): OutputParser {
  let session: string | null = null
  let report: AgentReport | null = null
  let answer = ''
  let toolSinceText = false

  function onInit (o: Json): AgentEvent[] {
    if (typeof o.session_id !== 'string' || o.session_id === '') return []
    session = o.session_id
    return [{ type: 'session', data: { session: o.session_id, ...(typeof o.model === 'string' ? { model: o.model } : {}) } }]
  }

  function onMessage (o: Json): AgentEvent[] {
    // The user's own prompt is echoed back as a message too.
    if (o.role !== 'assistant' || typeof o.content !== 'string' || o.content === '') return []
    const chunk = toolSinceText && answer !== '' ? TURN_SEPARATOR + o.content : o.content
    toolSinceText = false
    // Kept for the report (Gemini's has no text), bounded: the parser also reads past the output cap.
    if (answer.length < ANSWER_MAX_CHARS) answer += chunk.slice(0, ANSWER_MAX_CHARS - answer.length)
    return [{ type: 'text', data: { text: chunk } }]
  }

  function onToolUse (o: Json): AgentEvent[] {
    if (typeof o.tool_id !== 'string' || typeof o.tool_name !== 'string') return []
    toolSinceText = true
    return [{ type: 'tool_start', data: { tool_id: o.tool_id, name: o.tool_name, summary: geminiToolSummary(o.tool_name, o.parameters) } }]
  }

  function onToolResult (o: Json): AgentEvent[] {
    if (typeof o.tool_id !== 'string') return []
    toolSinceText = true
    const ok = o.status === 'success'
    const summary = ok ? firstLine(o.output) : firstLine(asObject(o.error)?.message)
    return [{ type: 'tool_end', data: { tool_id: o.tool_id, ok, ...(summary === '' ? {} : { summary }) } }]
  }

  /** Non-fatal: a fatal error ends the stream with an error `result` instead. */
  function onError (o: Json): AgentEvent[] {
    const message = asText(o.message)
    if (message === null) return []
    return [{ type: 'log', data: { stream: 'stdout', line: `gemini ${asText(o.severity) ?? 'error'}: ${oneLine(message, 1000)}` } }]
  }

  function onResult (o: Json): AgentEvent[] {
    const ok = o.status === 'success'
    const error = asObject(o.error)
    const said = typeof error?.message === 'string' ? error.message : ''
    const kind = typeof error?.type === 'string' ? `${error.type}: ` : ''
    report = {
      ok,
      output: ok || said === '' ? answer : `${kind}${said}`,
      session,
      cost_usd: null,
      turns: null
    }
    return []
  }

  return {
    line (line) {
      if (line.trim() === '') return []
      const o = parseJsonObjectLine(line)
      // Startup notices ("Loaded cached credentials.") are printed as plain text on stdout.
      if (o === null) return [{ type: 'log', data: { stream: 'stdout', line } }]
      switch (o.type) {
        case 'init': return onInit(o)
        case 'message': return onMessage(o)
        case 'tool_use': return onToolUse(o)
        case 'tool_result': return onToolResult(o)
        case 'error': return onError(o)
        case 'result': return onResult(o)
        default: return []
      }
    },
    session: () => session,
    report: () => report
  }
}

/** The command, path, pattern, URL prompt or query of a tool call; compact JSON for other tools. */
export function geminiToolSummary (name: string, parameters: unknown): string {
  const param = Object.hasOwn(TARGET_PARAM, name) ? TARGET_PARAM[name] : undefined
  const value = param === undefined ? undefined : asObject(parameters)?.[param]
  return typeof value === 'string' ? oneLine(value) : summarizeToolInput(name, parameters)
}
