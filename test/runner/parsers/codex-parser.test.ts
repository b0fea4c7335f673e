import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../../src/runner/agent-event.ts'
import { createCodexParser } from '../../../src/runner/parsers/codex-parser.ts'
import type { ParsedItem } from '../../../src/runner/profiles/profile.ts'
import { fixture } from '../helpers.ts'

const lines = (name: string): string[] => readFileSync(fixture(`agents/codex/${name}`), 'utf8').split('\n')
const isEvent = (item: ParsedItem): item is AgentEvent => item.type !== 'turn_end' && item.type !== 'permission_request'
const feed = (input: readonly string[], exitCode: number | null = 0) => {
  const parser = createCodexParser()
  const items = input.flatMap((l) => parser.line(l))
  return { items, events: items.filter(isEvent), report: parser.report(exitCode), session: parser.session() }
}
const log = (line: string): AgentEvent => ({ type: 'log', data: { stream: 'stdout', line } })
const j = (o: unknown): string => JSON.stringify(o)

describe('codex parser on recorded streams', () => {
  it('reads a successful run with a shell command: session, warning, tool pair, answer, report', () => {
    const { items, report, session } = feed(lines('tool-success.jsonl'))
    expect(items).toEqual([
      { type: 'session', data: { session: '01a1fde6-e193-7581-8a49-ecb98683964b' } },
      log('Model metadata for `mock-model` not found. Defaulting to fallback metadata; this can degrade performance and cause issues.'),
      { type: 'tool_start', data: { tool_id: 'item_1', name: 'shell', summary: 'echo hello-from-tool' } },
      { type: 'tool_end', data: { tool_id: 'item_1', ok: true, summary: 'hello-from-tool' } },
      { type: 'text', data: { text: 'The tool printed hello-from-tool.' } }
    ])
    expect(session).toBe('01a1fde6-e193-7581-8a49-ecb98683964b')
    expect(report).toEqual({ ok: true, output: 'The tool printed hello-from-tool.', session, cost_usd: null, turns: null })
  })

  it('reports turn.failed as a failure with its message; the error before it is only a log line', () => {
    const { events, report } = feed(lines('turn-failed.jsonl'), 1)
    expect(events).toEqual([
      { type: 'session', data: { session: '01a1fde7-ebb7-7671-b1fd-eb8fbc432138' } },
      log('The model `fail-model` does not exist')
    ])
    expect(report).toEqual({ ok: false, output: 'The model `fail-model` does not exist', session: '01a1fde7-ebb7-7671-b1fd-eb8fbc432138', cost_usd: null, turns: null })
  })

  it('treats retries and warning items as non-fatal: the run still ends with its answer', () => {
    const { events, report } = feed(lines('retries.jsonl'))
    expect(events.filter((e) => e.type === 'log').map((e) => e.type === 'log' && e.data.line.slice(0, 19))).toEqual([
      'Reconnecting... 1/5', 'Reconnecting... 2/5', 'Model metadata for '
    ])
    expect(report?.ok).toBe(true)
    expect(report?.output).toBe('Back online: all good.')
  })

  it('keeps the session id of a resumed thread', () => {
    const first = feed(lines('tool-success.jsonl')).session
    const { session, report } = feed(lines('resume.jsonl'))
    expect(session).toBe(first)
    expect(report?.session).toBe(first)
  })

  it('maps every item type: file changes at once, failed MCP call, failing command, web search; ignores the rest', () => {
    const { events, report } = feed(lines('items.jsonl'))
    expect(events.filter((e) => e.type !== 'session')).toEqual([
      { type: 'text', data: { text: 'I will fix the typo.' } },
      { type: 'tool_start', data: { tool_id: 'item_3', name: 'apply_patch', summary: 'update /repo/README.md, add /repo/NOTES.md' } },
      { type: 'tool_end', data: { tool_id: 'item_3', ok: true } },
      { type: 'tool_start', data: { tool_id: 'item_4', name: 'mcp__github__create_issue', summary: '{"title":"Typo fixed","body":"See README"}' } },
      { type: 'tool_end', data: { tool_id: 'item_4', ok: false, summary: '403 Forbidden: token lacks issues:write' } },
      { type: 'tool_start', data: { tool_id: 'item_5', name: 'shell', summary: 'grep -n teh README.md' } },
      { type: 'tool_end', data: { tool_id: 'item_5', ok: false, summary: 'exit code 1' } },
      { type: 'tool_start', data: { tool_id: 'ws_0a1b2c', name: 'web_search', summary: '' } },
      { type: 'tool_end', data: { tool_id: 'ws_0a1b2c', ok: true } },
      { type: 'text', data: { text: '\n\nFixed the typo in README.md.' } }
    ])
    // The answer is every message, as the stream showed it.
    expect(report?.output).toBe('I will fix the typo.\n\nFixed the typo in README.md.')
  })

  it('gives no report when the stream stopped before turn.completed or turn.failed', () => {
    const { report, session, events } = feed(lines('no-turn-end.jsonl'), 0)
    expect(report).toBeNull()
    expect(session).toBe('01a1fdeb-77aa-7bcd-8e9f-0a1b2c3d4e5f')
    expect(events.at(-1)).toEqual(log('Reconnecting... waiting for network'))
  })
})

describe('codex parser edge cases', () => {
  it('passes non-JSON stdout on as log lines and skips blank lines', () => {
    expect(feed(['plain text', '', '[1,2]', '{"type":"item.completed",', '   ']).events).toEqual([
      log('plain text'), log('[1,2]'), log('{"type":"item.completed",')
    ])
  })

  it('uses the last error when turn.failed has no message', () => {
    const { report } = feed([j({ type: 'error', message: 'stream disconnected' }), j({ type: 'turn.failed', error: {} })], 1)
    expect(report).toMatchObject({ ok: false, output: 'stream disconnected' })
  })

  it('cuts long commands to 200 characters and leaves a quoted body wrapped', () => {
    const long = `echo ${'x'.repeat(500)}`
    const start = (command: string) => feed([j({ type: 'item.started', item: { id: 'item_0', type: 'command_execution', command, aggregated_output: '', exit_code: null, status: 'in_progress' } })]).events[0]
    const summary = (e: AgentEvent | undefined) => (e?.type === 'tool_start' ? e.data.summary : null)
    expect(summary(start(`/bin/bash -lc '${long}'`))).toHaveLength(200)
    expect(summary(start(`/bin/bash -lc 'echo '"'"'hi'"'"''`))).toBe(`/bin/bash -lc 'echo '"'"'hi'"'"''`)
    expect(summary(start('bash -lc \'ls -la\''))).toBe('ls -la')
  })

  it('marks a declined command as failed', () => {
    const { events } = feed([j({ type: 'item.completed', item: { id: 'item_0', type: 'command_execution', command: 'rm -rf /', aggregated_output: '', exit_code: null, status: 'declined' } })])
    expect(events.at(-1)).toEqual({ type: 'tool_end', data: { tool_id: 'item_0', ok: false, summary: 'declined' } })
  })

  it('announces the session once even if the line repeats', () => {
    const line = j({ type: 'thread.started', thread_id: 't1' })
    expect(feed([line, line]).events).toEqual([{ type: 'session', data: { session: 't1' } }])
  })
})
