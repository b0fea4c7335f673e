// Reads Claude Code's `--output-format stream-json --verbose --include-partial-messages` lines
// into AgentEvents, and in stream-json input mode its `control_request` permission
// questions and the `result` that ends each turn. Unknown types are ignored, because the CLI adds new ones often.
// Subagent traffic (parent_tool_use_id set) is skipped: the Task tool that started the subagent
// already shows as one tool_start/tool_end pair at the top level.
import type { AgentEvent } from '../agent-event.ts'
import type { AgentReport, OutputParser, ParsedItem } from '../profiles/profile.ts'
import { oneLine, summarizeToolInput } from '../tool-summary.ts'

type Json = Record<string, unknown>

/** Put between the text of two assistant messages (turns), which the CLI streams back to back. */
const TURN_SEPARATOR = '\n\n'

export function createClaudeStreamParser (): OutputParser {
  let session: string | null = null
  let report: AgentReport | null = null
  // Only ids are remembered, never text, so a long run keeps this state constant in size.
  let streamingId: string | null = null // message whose stream_event deltas are arriving
  let deltasFor: string | null = null // last message whose text came as deltas
  let lastTextFor: string | null = null // message of the last text event
  let seenText = false

  function text (messageId: string | null, chunk: string): AgentEvent[] {
    if (chunk === '') return []
    const separate = seenText && messageId !== lastTextFor
    seenText = true
    lastTextFor = messageId
    return [{ type: 'text', data: { text: separate ? TURN_SEPARATOR + chunk : chunk } }]
  }

  function onSystem (o: Json): AgentEvent[] {
    if (o.subtype !== 'init' || typeof o.session_id !== 'string') return []
    session = o.session_id
    const model = typeof o.model === 'string' ? { model: o.model } : {}
    return [{ type: 'session', data: { session: o.session_id, ...model } }]
  }

  function onStreamEvent (o: Json): AgentEvent[] {
    const event = asObject(o.event)
    if (event === null) return []
    if (event.type === 'message_start') {
      const id = asObject(event.message)?.id
      streamingId = typeof id === 'string' ? id : null
      return []
    }
    const delta = asObject(event.delta)
    if (event.type !== 'content_block_delta' || delta?.type !== 'text_delta' || typeof delta.text !== 'string') return []
    deltasFor = streamingId
    return text(streamingId, delta.text)
  }

  function onAssistant (o: Json): AgentEvent[] {
    const message = asObject(o.message)
    const id = typeof message?.id === 'string' ? message.id : null
    // With partial messages the complete block repeats text already sent as deltas.
    const streamed = id !== null && id === deltasFor
    const events: AgentEvent[] = []
    for (const block of contentBlocks(message)) {
      if (block.type === 'text' && typeof block.text === 'string' && !streamed) {
        events.push(...text(id, block.text))
      } else if (block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') {
        events.push({ type: 'tool_start', data: { tool_id: block.id, name: block.name, summary: summarizeToolInput(block.name, block.input) } })
      }
    }
    return events
  }

  function onUser (o: Json): AgentEvent[] {
    const events: AgentEvent[] = []
    for (const block of contentBlocks(asObject(o.message))) {
      if (block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue
      const summary = firstLine(block.content)
      events.push({ type: 'tool_end', data: { tool_id: block.tool_use_id, ok: block.is_error !== true, ...(summary === '' ? {} : { summary }) } })
    }
    return events
  }

  function onResult (o: Json): ParsedItem[] {
    if (typeof o.session_id === 'string') session = o.session_id
    const output = typeof o.result === 'string'
      ? o.result
      : Array.isArray(o.errors) ? o.errors.filter((e) => typeof e === 'string').join('\n') : ''
    const turns = Number.isSafeInteger(o.num_turns) ? o.num_turns as number : null
    // One result per user message in stream-json input mode: a steered run answers several times,
    // and its output is every answer in order. Cost is cumulative within the process already.
    report = {
      // `is_error` can be true while `subtype` is "success": both must agree.
      ok: o.subtype === 'success' && !o.is_error,
      output: report === null || report.output === '' ? output : output === '' ? report.output : `${report.output}${TURN_SEPARATOR}${output}`,
      session: typeof o.session_id === 'string' ? o.session_id : null,
      cost_usd: typeof o.total_cost_usd === 'number' && Number.isFinite(o.total_cost_usd) ? o.total_cost_usd : null,
      turns: turns === null ? report?.turns ?? null : (report?.turns ?? 0) + turns
    }
    return [{ type: 'turn_end' }]
  }

  function onControlRequest (o: Json): ParsedItem[] {
    const request = asObject(o.request)
    if (typeof o.request_id !== 'string' || request?.subtype !== 'can_use_tool' || typeof request.tool_name !== 'string') return []
    return [{
      type: 'permission_request',
      data: {
        requestId: o.request_id,
        tool: request.tool_name,
        input: request.input ?? {},
        toolUseId: typeof request.tool_use_id === 'string' ? request.tool_use_id : null
      }
    }]
  }

  return {
    line (line): ParsedItem[] {
      if (line.trim() === '') return []
      const o = parseObject(line)
      if (o === null) return [{ type: 'log', data: { stream: 'stdout', line } }]
      if (o.parent_tool_use_id != null && o.type !== 'result' && o.type !== 'control_request') return []
      switch (o.type) {
        case 'control_request': return onControlRequest(o)
        case 'system': return onSystem(o)
        case 'stream_event': return onStreamEvent(o)
        case 'assistant': return onAssistant(o)
        case 'user': return onUser(o)
        case 'result': return onResult(o)
        default: return []
      }
    },
    session: () => session,
    report: () => report
  }
}

function parseObject (line: string): Json | null {
  // Cheap pre-check: a flood of plain text is never handed to JSON.parse.
  if (line.trimStart()[0] !== '{') return null
  try {
    return asObject(JSON.parse(line))
  } catch {
    return null
  }
}

function asObject (value: unknown): Json | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Json : null
}

function contentBlocks (message: Json | null): Json[] {
  const content = message?.content
  if (!Array.isArray(content)) return []
  return content.flatMap((b) => {
    const block = asObject(b)
    return block === null ? [] : [block]
  })
}

/** First non-empty line of a tool_result's content (a string or text blocks), as a short summary. */
function firstLine (content: unknown): string {
  const texts = typeof content === 'string'
    ? [content]
    : Array.isArray(content) ? content.flatMap((b) => { const t = asObject(b)?.text; return typeof t === 'string' ? [t] : [] }) : []
  for (const t of texts) {
    // Only the head is looked at: a tool result can hold a whole file.
    const line = t.slice(0, 4096).split('\n').find((l) => l.trim() !== '')
    if (line !== undefined) return oneLine(line)
  }
  return ''
}
