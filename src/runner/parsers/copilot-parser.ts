// Reads Copilot CLI's `--output-format json` lines, one session event per line, into
// AgentEvents. The session id only arrives on the last line (`result.sessionId`). Background noise
// (`session.background_tasks_changed`, `model.call_*`, `session.skills_loaded`, `assistant.idle`,
// `tool.shell_output`, …) and unknown types are ignored.
import type { AgentEvent } from '../agent-event.ts'
import type { AgentReport, OutputParser } from '../profiles/profile.ts'
import { oneLine, summarizeToolInput } from '../tool-summary.ts'
import { firstLine } from './first-line.ts'
import { asObject, asText, parseJsonObjectLine, type JsonObject as Json } from './json-object-line.ts'

/** Put between the text of two assistant messages (turns), which the CLI streams back to back. */
const TURN_SEPARATOR = '\n\n'

/** Which argument names the target of each built-in Copilot tool. */
const TARGET_ARGUMENT: Readonly<Record<string, string>> = {
  bash: 'command',
  powershell: 'command',
  view: 'path',
  create: 'path',
  edit: 'path',
  glob: 'pattern',
  grep: 'pattern',
  rg: 'pattern',
  web_fetch: 'url',
  task: 'description'
}

export function createCopilotParser (): OutputParser {
  let session: string | null = null
  let report: AgentReport | null = null
  // Only ids are remembered for the stream; of the text, just the latest complete message.
  let deltasFor: string | null = null // last message whose text came as deltas
  let lastTextFor: string | null = null // message of the last text event
  let seenText = false
  let lastMessage = ''
  let lastError: string | null = null
  let turns = 0

  function text (messageId: string | null, chunk: string): AgentEvent[] {
    if (chunk === '') return []
    const separate = seenText && messageId !== lastTextFor
    seenText = true
    lastTextFor = messageId
    return [{ type: 'text', data: { text: separate ? TURN_SEPARATOR + chunk : chunk } }]
  }

  function onDelta (d: Json): AgentEvent[] {
    if (typeof d.deltaContent !== 'string') return []
    const id = typeof d.messageId === 'string' ? d.messageId : null
    deltasFor = id
    return text(id, d.deltaContent)
  }

  function onMessage (d: Json): AgentEvent[] {
    if (typeof d.content !== 'string' || d.content === '') return []
    lastMessage = d.content
    const id = typeof d.messageId === 'string' ? d.messageId : null
    // The complete message repeats what its deltas already streamed (absent with --stream off).
    return id !== null && id === deltasFor ? [] : text(id, d.content)
  }

  function onToolStart (d: Json): AgentEvent[] {
    if (typeof d.toolCallId !== 'string' || typeof d.toolName !== 'string') return []
    return [{ type: 'tool_start', data: { tool_id: d.toolCallId, name: d.toolName, summary: copilotToolSummary(d.toolName, d.arguments) } }]
  }

  function onToolComplete (d: Json): AgentEvent[] {
    if (typeof d.toolCallId !== 'string') return []
    const ok = d.success === true
    const error = asObject(d.error)
    let summary = ok ? firstLine(asObject(d.result)?.content) : firstLine(error?.message)
    // Headless Copilot refuses what needs a permission nobody gave, and still exits 0.
    if (!ok && error?.code === 'denied') summary = oneLine(`denied: ${summary === '' ? 'permission not granted' : summary}`)
    return [{ type: 'tool_end', data: { tool_id: d.toolCallId, ok, ...(summary === '' ? {} : { summary }) } }]
  }

  function onSessionError (d: Json): AgentEvent[] {
    const message = asText(d.message)
    if (message === null) return []
    lastError = message
    const kind = typeof d.errorType === 'string' ? ` (${d.errorType})` : ''
    return [{ type: 'log', data: { stream: 'stdout', line: `copilot error${kind}: ${oneLine(message, 1000)}` } }]
  }

  function onResult (o: Json): AgentEvent[] {
    const id = typeof o.sessionId === 'string' && o.sessionId !== '' ? o.sessionId : null
    const ok = o.exitCode === 0
    report = {
      ok,
      // The final answer is the last complete message, as Claude's `result` is: earlier turns'
      // texts ("Let me check.") were streamed already and belong to the work, not the answer.
      output: ok || lastError === null ? lastMessage : lastError,
      session: id ?? session,
      cost_usd: null,
      turns: turns === 0 ? null : turns
    }
    if (id === null) return []
    session = id
    return [{ type: 'session', data: { session: id } }]
  }

  return {
    line (line) {
      if (line.trim() === '') return []
      const o = parseJsonObjectLine(line)
      if (o === null) return [{ type: 'log', data: { stream: 'stdout', line } }]
      if (o.type === 'result') return onResult(o)
      const d = asObject(o.data) ?? {}
      switch (o.type) {
        case 'assistant.turn_start': turns += 1; return []
        case 'assistant.message_delta': return onDelta(d)
        case 'assistant.message': return onMessage(d)
        case 'tool.execution_start': return onToolStart(d)
        case 'tool.execution_complete': return onToolComplete(d)
        case 'session.error': return onSessionError(d)
        default: return []
      }
    },
    session: () => session,
    report: () => report
  }
}

/** The command, path, pattern or URL of a tool call; compact JSON for other tools. */
export function copilotToolSummary (name: string, args: unknown): string {
  const field = Object.hasOwn(TARGET_ARGUMENT, name) ? TARGET_ARGUMENT[name] : undefined
  const value = field === undefined ? undefined : asObject(args)?.[field]
  return typeof value === 'string' ? oneLine(value) : summarizeToolInput(name, args)
}
