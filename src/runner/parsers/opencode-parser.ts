// Reads `opencode run --format json` lines into AgentEvents. Every line carries the
// session id; parts arrive whole (no deltas), and a tool is written once, when it has finished. There
// is no final result line: the report is put together at exit from what was seen. Unknown types are
// ignored; the CLI adds new ones often.
import type { AgentEvent } from '../agent-event.ts'
import type { AgentReport, OutputParser } from '../profiles/profile.ts'
import { oneLine, summarizeToolInput } from '../tool-summary.ts'
import { createAnswerText } from './answer-text.ts'
import { firstLine } from './first-line.ts'
import { asObject, asText, parseJsonObjectLine, type JsonObject } from './json-object-line.ts'

/** Which input field names the target of each built-in OpenCode tool. */
const TARGET_FIELD: Readonly<Record<string, string>> = {
  bash: 'command',
  read: 'filePath',
  edit: 'filePath',
  write: 'filePath',
  multiedit: 'filePath',
  patch: 'filePath',
  glob: 'pattern',
  grep: 'pattern',
  list: 'path',
  webfetch: 'url',
  websearch: 'query',
  codesearch: 'query',
  task: 'description',
  skill: 'name'
}

export function createOpencodeParser (): OutputParser {
  let session: string | null = null
  const answer = createAnswerText()
  const errors: string[] = []
  let steps = 0
  let cost: number | null = null
  // Written by newer CLIs once the session went idle; 1.18 ends without it.
  let done = false

  function onTool (part: JsonObject): AgentEvent[] {
    const tool = asText(part.tool) ?? 'tool'
    const id = asText(part.callID) ?? asText(part.id)
    const state = asObject(part.state) ?? {}
    if (id === null) return []
    const ok = state.status === 'completed'
    const summary = ok ? firstLine(state.output) : firstLine(state.error)
    return [
      { type: 'tool_start', data: { tool_id: id, name: tool, summary: toolSummary(tool, state) } },
      { type: 'tool_end', data: { tool_id: id, ok, ...(summary === '' ? {} : { summary }) } }
    ]
  }

  function onStepFinish (part: JsonObject): void {
    steps += 1
    if (typeof part.cost === 'number' && Number.isFinite(part.cost)) cost = (cost ?? 0) + part.cost
  }

  return {
    line (line) {
      if (line.trim() === '') return []
      const o = parseJsonObjectLine(line)
      if (o === null) return [{ type: 'log', data: { stream: 'stdout', line } }]
      const events: AgentEvent[] = []
      const id = asText(o.sessionID)
      if (session === null && id !== null) {
        session = id
        events.push({ type: 'session', data: { session: id } })
      }
      // The CLI only writes its own session; anything else is not part of this run's answer.
      if (id !== null && id !== session) return events
      const part = asObject(o.part) ?? {}
      switch (o.type) {
        case 'text': {
          const text = answer.add(typeof part.text === 'string' ? part.text : '')
          if (text !== '') events.push({ type: 'text', data: { text } })
          break
        }
        case 'tool_use': events.push(...onTool(part)); break
        case 'step_finish': onStepFinish(part); break
        case 'error': errors.push(errorMessage(asObject(o.error))); break
        case 'done': done = true; break
        default: break
      }
      return events
    },
    session: () => session,
    report (exitCode): AgentReport | null {
      // Nothing finished and nothing failed: the CLI gave nothing to build a report from (it died
      // before the first step ended, or failed before the session existed, with only stderr).
      if (steps === 0 && errors.length === 0 && !done) return null
      const ok = errors.length === 0 && exitCode === 0
      return {
        ok,
        // A failure without an error line has only the exit code and stderr to tell; the answer
        // text is not presented as the error.
        output: errors.length > 0 ? errors.join('\n') : ok ? answer.value() : '',
        session,
        cost_usd: cost,
        // One step is one model call, which is what Claude counts as a turn (tool round trips included).
        turns: steps
      }
    }
  }
}

function toolSummary (tool: string, state: JsonObject): string {
  const input = asObject(state.input)
  const field = Object.hasOwn(TARGET_FIELD, tool) ? TARGET_FIELD[tool] : undefined
  const target = field === undefined ? null : asText(input?.[field])
  if (target !== null) return oneLine(target)
  const title = asText(state.title)
  return title !== null ? oneLine(title) : summarizeToolInput(tool, state.input)
}

function errorMessage (error: JsonObject | null): string {
  return asText(asObject(error?.data)?.message) ?? asText(error?.name) ?? 'unknown error'
}
