import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../../src/runner/agent-event.ts'
import { createClaudeStreamParser } from '../../../src/runner/parsers/claude-stream-parser.ts'
import type { ParsedItem } from '../../../src/runner/profiles/profile.ts'

const isEvent = (item: ParsedItem): item is AgentEvent => item.type !== 'turn_end' && item.type !== 'permission_request'
const feed = (lines: readonly string[]) => {
  const parser = createClaudeStreamParser()
  const items = lines.flatMap((l) => parser.line(l))
  return { items, events: items.filter(isEvent), report: parser.report(0), session: parser.session() }
}
const j = (o: unknown): string => JSON.stringify(o)

// Captured from claude 2.1.330 without credentials, arrays shortened.
const UNAUTHENTICATED = [
  '{"type":"system","subtype":"init","cwd":"/path/to/repo","session_id":"d2c59066-73bd-4390-83e4-9fd020abe146","tools":["Task","Bash"],"mcp_servers":[],"model":"claude-opus-5-5","permissionMode":"default","slash_commands":[],"apiKeySource":"none","claude_code_version":"2.1.330","output_style":"default","agents":["claude"],"skills":[],"plugins":[],"capabilities":[],"uuid":"9b25fc45-c0e9-4892-8c28-8bf4248831ae","fast_mode_state":"off","view_mode":"default"}',
  '{"type":"assistant","message":{"id":"2bb68471-5502-4232-aa23-9184c4a319ea","model":"<synthetic>","role":"assistant","stop_reason":"stop_sequence","type":"message","usage":{"input_tokens":0,"output_tokens":0},"content":[{"type":"text","text":"Not logged in · Please run /login"}]},"parent_tool_use_id":null,"session_id":"d2c59066-73bd-4390-83e4-9fd020abe146","uuid":"fe953fae-eaa3-4888-886a-065fd462f3b9","timestamp":"2026-11-21T11:28:30.110Z","error":"authentication_failed","is_api_error_message":true}',
  '{"type":"result","subtype":"success","is_error":true,"duration_ms":139,"duration_api_ms":0,"num_turns":1,"result":"Not logged in · Please run /login","stop_reason":"stop_sequence","session_id":"d2c59066-73bd-4390-83e4-9fd020abe146","total_cost_usd":0,"usage":{"input_tokens":0,"output_tokens":0},"modelUsage":{},"permission_denials":[],"terminal_reason":"api_error","api_error_status":null,"uuid":"88186e6c-becd-43d1-b335-9d4e2b90088d","result_index":0}'
]

// The authenticated tool-call shape of agents.md §2.5, with the elided values filled in.
const S = '8f0c1c2e-0000-4000-8000-000000000001'
const TOOL_RUN = [
  j({ type: 'system', subtype: 'init', session_id: S, model: 'claude-sonnet', tools: ['Bash'], permissionMode: 'default', cwd: '/r', apiKeySource: 'ANTHROPIC_API_KEY', claude_code_version: '2.1.330', uuid: 'u' }),
  j({ type: 'system', subtype: 'status', status: 'requesting', session_id: S, uuid: 'u' }),
  j({ type: 'stream_event', event: { type: 'message_start', message: { id: 'msg_01', role: 'assistant', content: [], usage: {} } }, parent_tool_use_id: null, session_id: S, uuid: 'u' }),
  j({ type: 'stream_event', event: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, parent_tool_use_id: null, session_id: S, uuid: 'u' }),
  j({ type: 'stream_event', event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me look' } }, parent_tool_use_id: null, session_id: S, uuid: 'u' }),
  j({ type: 'stream_event', event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' at the log.' } }, parent_tool_use_id: null, session_id: S, uuid: 'u' }),
  j({ type: 'stream_event', event: { type: 'content_block_stop', index: 0 }, parent_tool_use_id: null, session_id: S, uuid: 'u' }),
  j({ type: 'assistant', message: { id: 'msg_01', role: 'assistant', content: [{ type: 'text', text: 'Let me look at the log.' }], stop_reason: null, usage: {} }, parent_tool_use_id: null, session_id: S, uuid: 'u' }),
  j({ type: 'stream_event', event: { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_01', name: 'Bash', input: {} } }, parent_tool_use_id: null, session_id: S, uuid: 'u' }),
  j({ type: 'stream_event', event: { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"command":"git log' } }, parent_tool_use_id: null, session_id: S, uuid: 'u' }),
  j({ type: 'assistant', message: { id: 'msg_01', role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'Bash', input: { command: 'git log --oneline -3', description: 'Show recent commits' } }], stop_reason: null, usage: {} }, parent_tool_use_id: null, session_id: S, uuid: 'u' }),
  j({ type: 'user', message: { role: 'user', content: [{ tool_use_id: 'toolu_01', type: 'tool_result', content: 'abc123 fix\ndef456 feat', is_error: false }] }, parent_tool_use_id: null, session_id: S, uuid: 'u', tool_use_result: { stdout: 'abc123 fix\ndef456 feat', stderr: '', interrupted: false, isImage: false } }),
  j({ type: 'assistant', message: { id: 'msg_02', content: [{ type: 'text', text: 'The last three commits are …' }] }, parent_tool_use_id: null, session_id: S, uuid: 'u' }),
  j({ type: 'result', subtype: 'success', is_error: false, result: 'The last three commits are …', num_turns: 2, duration_ms: 8123, duration_api_ms: 7410, total_cost_usd: 0.0213, usage: { input_tokens: 1, output_tokens: 2 }, modelUsage: {}, permission_denials: [], session_id: S, uuid: 'u' })
]

describe('claude stream parser', () => {
  it('reads the captured unauthenticated run: is_error with subtype success is a failure', () => {
    const { events, report, session } = feed(UNAUTHENTICATED)
    expect(events).toEqual([
      { type: 'session', data: { session: 'd2c59066-73bd-4390-83e4-9fd020abe146', model: 'claude-opus-5-5' } },
      { type: 'text', data: { text: 'Not logged in · Please run /login' } }
    ])
    expect(report).toEqual({ ok: false, output: 'Not logged in · Please run /login', session: 'd2c59066-73bd-4390-83e4-9fd020abe146', cost_usd: 0, turns: 1 })
    expect(session).toBe('d2c59066-73bd-4390-83e4-9fd020abe146')
  })

  it('forwards deltas, skips the repeated full text, pairs tool_start with tool_end', () => {
    const { events, report } = feed(TOOL_RUN)
    expect(events).toEqual([
      { type: 'session', data: { session: S, model: 'claude-sonnet' } },
      { type: 'text', data: { text: 'Let me look' } },
      { type: 'text', data: { text: ' at the log.' } },
      { type: 'tool_start', data: { tool_id: 'toolu_01', name: 'Bash', summary: 'git log --oneline -3' } },
      { type: 'tool_end', data: { tool_id: 'toolu_01', ok: true, summary: 'abc123 fix' } },
      // msg_02 came without deltas, so its complete text is the only copy; a blank line separates turns.
      { type: 'text', data: { text: '\n\nThe last three commits are …' } }
    ])
    expect(report).toEqual({ ok: true, output: 'The last three commits are …', session: S, cost_usd: 0.0213, turns: 2 })
  })

  it('emits complete assistant text when partial messages are off', () => {
    const { events } = feed([
      j({ type: 'assistant', message: { id: 'm1', content: [{ type: 'text', text: 'one' }, { type: 'thinking', thinking: 'hmm' }] }, parent_tool_use_id: null }),
      j({ type: 'assistant', message: { id: 'm1', content: [{ type: 'text', text: ' two' }] }, parent_tool_use_id: null })
    ])
    expect(events).toEqual([{ type: 'text', data: { text: 'one' } }, { type: 'text', data: { text: ' two' } }])
  })

  it('reports an error result from its errors list', () => {
    const { report } = feed([j({ type: 'result', subtype: 'error_during_execution', is_error: true, num_turns: 0, total_cost_usd: 0, errors: ['No conversation found with session ID: x', 'second'], session_id: S })])
    expect(report).toMatchObject({ ok: false, output: 'No conversation found with session ID: x\nsecond', turns: 0 })
  })

  it('is not ok when subtype is an error even if is_error is false', () => {
    const { report } = feed([j({ type: 'result', subtype: 'error_max_turns', is_error: false, errors: [] })])
    expect(report?.ok).toBe(false)
  })

  it('marks failed tool results and ignores subagent traffic', () => {
    const { events } = feed([
      j({ type: 'assistant', message: { id: 'm', content: [{ type: 'tool_use', id: 't1', name: 'Read', input: { file_path: '/etc/hosts' } }] }, parent_tool_use_id: null }),
      j({ type: 'stream_event', event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'sub' } }, parent_tool_use_id: 't0' }),
      j({ type: 'assistant', message: { id: 'ms', content: [{ type: 'text', text: 'sub' }, { type: 'tool_use', id: 'ts', name: 'Bash', input: { command: 'ls' } }] }, parent_tool_use_id: 't0' }),
      j({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'ts', content: 'x' }] }, parent_tool_use_id: 't0' }),
      j({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', is_error: true, content: [{ type: 'text', text: '\n  File does not exist.\nmore' }] }] }, parent_tool_use_id: null })
    ])
    expect(events).toEqual([
      { type: 'tool_start', data: { tool_id: 't1', name: 'Read', summary: '/etc/hosts' } },
      { type: 'tool_end', data: { tool_id: 't1', ok: false, summary: 'File does not exist.' } }
    ])
  })

  it('turns non-JSON lines into stdout logs and ignores blank lines and unknown types', () => {
    const { events, report } = feed(['plain text', '', '   ', '[1,2]', '{"type":"assistant","message":', '{"type":"future_thing","x":1}', '{"type":"system","subtype":"api_retry","attempt":1}', 'null'])
    expect(events).toEqual([
      { type: 'log', data: { stream: 'stdout', line: 'plain text' } },
      { type: 'log', data: { stream: 'stdout', line: '[1,2]' } },
      { type: 'log', data: { stream: 'stdout', line: '{"type":"assistant","message":' } },
      { type: 'log', data: { stream: 'stdout', line: 'null' } }
    ])
    expect(report).toBeNull()
  })

  it('survives wrong field types without throwing', () => {
    const { events, report } = feed([
      j({ type: 'system', subtype: 'init', session_id: 42 }),
      j({ type: 'assistant', message: { content: 'not an array' } }),
      j({ type: 'assistant', message: { content: [null, 1, { type: 'tool_use', id: 1, name: 'x' }] } }),
      j({ type: 'user', message: { content: [{ type: 'tool_result' }] } }),
      j({ type: 'stream_event', event: { type: 'content_block_delta', delta: { type: 'text_delta', text: 5 } } }),
      j({ type: 'result', subtype: 'success', is_error: false, result: 7, num_turns: 1.5, total_cost_usd: 'x' })
    ])
    expect(events).toEqual([])
    expect(report).toEqual({ ok: true, output: '', session: null, cost_usd: null, turns: null })
  })
})

describe('claude stream parser: interactive mode', () => {
  const result = (text: string, turns: number, cost: number, isError = false): string => j({ type: 'result', subtype: 'success', is_error: isError, result: text, num_turns: turns, total_cost_usd: cost, session_id: S })

  it('reads a can_use_tool control request as a permission question', () => {
    const { items } = feed([j({ type: 'control_request', request_id: 'req-1', request: { subtype: 'can_use_tool', tool_name: 'Bash', input: { command: 'git push' }, tool_use_id: 'toolu_9', permission_suggestions: [] } })])
    expect(items).toEqual([{ type: 'permission_request', data: { requestId: 'req-1', tool: 'Bash', input: { command: 'git push' }, toolUseId: 'toolu_9' } }])
  })

  it('ignores other control requests and malformed ones', () => {
    const { items } = feed([
      j({ type: 'control_request', request_id: 'req-2', request: { subtype: 'hook_callback' } }),
      j({ type: 'control_request', request: { subtype: 'can_use_tool', tool_name: 'Bash' } }),
      j({ type: 'control_request', request_id: 'req-3', request: { subtype: 'can_use_tool', tool_name: 7 } })
    ])
    expect(items).toEqual([])
  })

  it('ends a turn at each result and joins the answers of several turns', () => {
    const { items, report } = feed([result('first answer', 1, 0.01), result('second answer', 2, 0.03)])
    expect(items).toEqual([{ type: 'turn_end' }, { type: 'turn_end' }])
    expect(report).toEqual({ ok: true, output: 'first answer\n\nsecond answer', session: S, cost_usd: 0.03, turns: 3 })
  })

  it('takes success from the last turn', () => {
    expect(feed([result('fine', 1, 0.01), result('broke', 1, 0.02, true)]).report?.ok).toBe(false)
  })
})
