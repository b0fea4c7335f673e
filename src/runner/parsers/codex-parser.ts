// Reads `codex exec --json` lines (exec_events.rs) into AgentEvents. Only
// `turn.completed` and `turn.failed` end a turn: Codex also uses the top-level `error` for retries
// ("Reconnecting... 2/5") and `item.type: "error"` for warnings, so both are only logged. Unknown
// types are ignored; the CLI adds new ones often.
import type { AgentEvent } from '../agent-event.ts'
import type { AgentReport, OutputParser } from '../profiles/profile.ts'
import { oneLine, summarizeToolInput } from '../tool-summary.ts'
import { createAnswerText } from './answer-text.ts'
import { firstLine } from './first-line.ts'
import { asObject, asText, parseJsonObjectLine, type JsonObject } from './json-object-line.ts'

/** Item types that are tool calls; the rest (messages, reasoning, plans, todo lists) are not. */
const TOOL_ITEMS: ReadonlySet<string> = new Set(['command_execution', 'file_change', 'mcp_tool_call', 'web_search', 'collab_tool_call'])

export function createCodexParser (): OutputParser {
  let session: string | null = null
  let turn: { ok: true } | { ok: false, error: string } | null = null
  let lastError: string | null = null
  const answer = createAnswerText()
  // Item ids (`item_0`, …) restart in every process, which is one run: unique for as long as needed.
  const running = new Set<string>()

  function onThread (o: JsonObject): AgentEvent[] {
    const id = asText(o.thread_id)
    if (id === null || id === session) return []
    session = id
    return [{ type: 'session', data: { session: id } }]
  }

  function onItem (phase: 'started' | 'completed', item: JsonObject): AgentEvent[] {
    const type = asText(item.type) ?? ''
    if (phase === 'completed' && type === 'agent_message') {
      const text = answer.add(typeof item.text === 'string' ? item.text : '')
      return text === '' ? [] : [{ type: 'text', data: { text } }]
    }
    if (phase === 'completed' && type === 'error') {
      const message = asText(item.message)
      return message === null ? [] : [log(message)]
    }
    const id = asText(item.id)
    if (!TOOL_ITEMS.has(type) || id === null) return []
    const events: AgentEvent[] = []
    // A file change is only ever reported completed: its start is sent with its end.
    if (!running.has(id)) {
      running.add(id)
      events.push({ type: 'tool_start', data: { tool_id: id, name: toolName(type, item), summary: toolSummary(type, item) } })
    }
    if (phase === 'completed') {
      running.delete(id)
      const summary = endSummary(type, item)
      events.push({ type: 'tool_end', data: { tool_id: id, ok: toolOk(type, item), ...(summary === '' ? {} : { summary }) } })
    }
    return events
  }

  return {
    line (line) {
      if (line.trim() === '') return []
      const o = parseJsonObjectLine(line)
      if (o === null) return [log(line)]
      switch (o.type) {
        case 'thread.started': return onThread(o)
        case 'item.started': return onItem('started', asObject(o.item) ?? {})
        case 'item.completed': return onItem('completed', asObject(o.item) ?? {})
        case 'error': {
          const message = asText(o.message)
          if (message === null) return []
          lastError = message
          return [log(message)]
        }
        case 'turn.completed':
          turn = { ok: true }
          return []
        case 'turn.failed':
          turn = { ok: false, error: asText(asObject(o.error)?.message) ?? lastError ?? 'turn failed' }
          return []
        default: return []
      }
    },
    session: () => session,
    report (): AgentReport | null {
      if (turn === null) return null
      return {
        ok: turn.ok,
        output: turn.ok ? answer.value() : turn.error,
        session,
        // No cost in the stream; and a Codex "turn" is the whole prompt (one per exec), not the model
        // round trips Claude counts as turns, so it is not reported as such.
        cost_usd: null,
        turns: null
      }
    }
  }
}

function log (line: string): AgentEvent {
  return { type: 'log', data: { stream: 'stdout', line } }
}

function toolName (type: string, item: JsonObject): string {
  switch (type) {
    case 'command_execution': return 'shell'
    case 'file_change': return 'apply_patch'
    // Named as in hookgate's tool rules, so the name can be copied into `tools.allow`/`deny`.
    case 'mcp_tool_call': return `mcp__${asText(item.server) ?? 'unknown'}__${asText(item.tool) ?? 'unknown'}`
    case 'collab_tool_call': return asText(item.tool) ?? type
    default: return type
  }
}

function toolSummary (type: string, item: JsonObject): string {
  switch (type) {
    case 'command_execution': return oneLine(unwrapShell(asText(item.command) ?? ''))
    case 'file_change': return oneLine(changes(item).map((c) => `${c.kind} ${c.path}`).join(', '))
    case 'web_search': return oneLine(asText(item.query) ?? '')
    case 'mcp_tool_call': return summarizeToolInput(toolName(type, item), item.arguments)
    case 'collab_tool_call': return oneLine(asText(item.prompt) ?? '')
    default: return ''
  }
}

function toolOk (type: string, item: JsonObject): boolean {
  // web_search items carry no status: completed means done.
  if (item.status !== undefined && item.status !== 'completed') return false
  if (type === 'command_execution' && typeof item.exit_code === 'number' && item.exit_code !== 0) return false
  if (type === 'mcp_tool_call' && item.error != null) return false
  return true
}

function endSummary (type: string, item: JsonObject): string {
  if (type === 'command_execution') {
    if (item.status === 'declined') return 'declined'
    const head = firstLine(item.aggregated_output)
    if (head !== '') return head
    return typeof item.exit_code === 'number' && item.exit_code !== 0 ? `exit code ${item.exit_code}` : ''
  }
  if (type === 'mcp_tool_call') {
    const error = asObject(item.error)
    if (error !== null) return firstLine(error.message)
    const content = asObject(item.result)?.content
    const texts = Array.isArray(content) ? content.flatMap((c) => { const t = asObject(c)?.text; return typeof t === 'string' ? [t] : [] }) : []
    return firstLine(texts.join('\n'))
  }
  return ''
}

function changes (item: JsonObject): Array<{ path: string, kind: string }> {
  if (!Array.isArray(item.changes)) return []
  return item.changes.flatMap((c) => {
    const change = asObject(c)
    const path = asText(change?.path)
    return path === null ? [] : [{ path, kind: asText(change?.kind) ?? 'update' }]
  })
}

/**
 * Codex runs every command as `/bin/bash -lc '<command>'`; the summary shows the command itself.
 * Only a body without single quotes is unwrapped, so the shown command is never mis-unquoted.
 */
function unwrapShell (command: string): string {
  const m = /^(?:\S*\/)?(?:ba|z|da)?sh -l?c '([^']*)'$/s.exec(command)
  return m?.[1] ?? command
}
