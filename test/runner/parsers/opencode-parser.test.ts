import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../../src/runner/agent-event.ts'
import { createOpencodeParser } from '../../../src/runner/parsers/opencode-parser.ts'
import type { ParsedItem } from '../../../src/runner/profiles/profile.ts'
import { fixture } from '../helpers.ts'

const lines = (name: string): string[] => readFileSync(fixture(`agents/opencode/${name}`), 'utf8').split('\n')
const isEvent = (item: ParsedItem): item is AgentEvent => item.type !== 'turn_end' && item.type !== 'permission_request'
const feed = (input: readonly string[], exitCode: number | null = 0) => {
  const parser = createOpencodeParser()
  const items = input.flatMap((l) => parser.line(l))
  return { items, events: items.filter(isEvent), report: parser.report(exitCode), session: parser.session() }
}
const j = (o: unknown): string => JSON.stringify(o)
const S = 'ses_e0219b231ffeoBVgsfPnhjJo3d'

describe('opencode parser on recorded streams', () => {
  it('reads a two-step run with a bash call and builds the report at exit', () => {
    const { items, report, session } = feed(lines('tool-success.jsonl'))
    expect(items).toEqual([
      { type: 'session', data: { session: S } },
      { type: 'text', data: { text: 'Let me check.' } },
      { type: 'tool_start', data: { tool_id: 'call_mock_1', name: 'bash', summary: 'echo hello-from-tool' } },
      { type: 'tool_end', data: { tool_id: 'call_mock_1', ok: true, summary: 'hello-from-tool' } },
      { type: 'text', data: { text: '\n\nThe tool printed hello-from-tool.' } }
    ])
    expect(session).toBe(S)
    expect(report).toEqual({ ok: true, output: 'Let me check.\n\nThe tool printed hello-from-tool.', session: S, cost_usd: 0, turns: 2 })
  })

  it('shows an auto-rejected tool call as a failed tool, sums the cost of every step', () => {
    const { events, report } = feed(lines('permission-rejected.jsonl'))
    expect(events.filter((e) => e.type === 'tool_end')).toEqual([
      { type: 'tool_end', data: { tool_id: 'call_mock_1', ok: false, summary: 'The user rejected permission to use this specific tool call.' } }
    ])
    expect(report?.ok).toBe(true)
    expect(report?.cost_usd).toBeCloseTo(0.002, 10)
    expect(report?.turns).toBe(2)
  })

  it('reports a session error line as a failure with its message', () => {
    expect(feed(lines('session-error.jsonl'), 1).report).toEqual({
      ok: false, output: 'Unauthorized: invalid api key', session: 'ses_e02197f01ffeR8cQ2wYx5Lk9Pz', cost_usd: null, turns: 0
    })
    // The error line decides even if the exit code did not say so.
    expect(feed(lines('session-error.jsonl'), 0).report?.ok).toBe(false)
  })

  it('keeps the session id of a resumed session', () => {
    const { session, report } = feed(lines('resume.jsonl'))
    expect(session).toBe(S)
    expect(report).toMatchObject({ ok: true, output: 'Earlier the tool printed hello-from-tool.', session: S, turns: 1 })
  })
})

describe('opencode parser reports', () => {
  const start = j({ type: 'step_start', timestamp: 1, sessionID: 'ses_a', part: { type: 'step-start' } })
  const finish = j({ type: 'step_finish', timestamp: 2, sessionID: 'ses_a', part: { type: 'step-finish', reason: 'stop', cost: 0.5 } })
  const text = j({ type: 'text', timestamp: 2, sessionID: 'ses_a', part: { type: 'text', text: 'hello' } })

  it('has no report when no step finished and no error was written', () => {
    expect(feed([]).report).toBeNull()
    expect(feed([start, text]).report).toBeNull()
  })

  it('fails on a non-zero exit without an error line, without presenting the answer as the error', () => {
    expect(feed([start, text, finish], 1).report).toEqual({ ok: false, output: '', session: 'ses_a', cost_usd: 0.5, turns: 1 })
    expect(feed([start, text, finish], null).report?.ok).toBe(false)
  })

  it('accepts the final `done` line newer CLIs write as something to report on', () => {
    const done = j({ type: 'done', timestamp: 3, sessionID: 'ses_a', reason: 'idle', rejected: [] })
    expect(feed([start, done]).report).toEqual({ ok: true, output: '', session: 'ses_a', cost_usd: null, turns: 0 })
  })

  it('ignores lines of another session', () => {
    const other = j({ type: 'text', timestamp: 2, sessionID: 'ses_child', part: { type: 'text', text: 'subagent chatter' } })
    const { events, report } = feed([start, other, text, finish])
    expect(events).toEqual([{ type: 'session', data: { session: 'ses_a' } }, { type: 'text', data: { text: 'hello' } }])
    expect(report?.output).toBe('hello')
  })

  it('passes non-JSON stdout on as log lines and ignores unknown types', () => {
    const { events } = feed(['Database migration complete.', j({ type: 'reasoning', sessionID: 'ses_a', part: { text: 'hmm' } }), ''])
    expect(events).toEqual([
      { type: 'log', data: { stream: 'stdout', line: 'Database migration complete.' } },
      { type: 'session', data: { session: 'ses_a' } }
    ])
  })

  it('summarises tools by their target field, else their title, else their input', () => {
    const tool = (name: string, state: object) => j({ type: 'tool_use', sessionID: 'ses_a', part: { type: 'tool', tool: name, callID: `c_${name}`, state } })
    const starts = feed([
      tool('read', { status: 'completed', input: { filePath: '/repo/a.ts' }, output: '<file>\n00001| x', title: 'a.ts' }),
      tool('webfetch', { status: 'completed', input: { url: 'https://example.com', format: 'text' }, output: '' }),
      tool('github_create_issue', { status: 'error', input: { title: 'x' }, error: 'boom\nmore' }),
      tool('custom', { status: 'completed', input: { a: 1 }, output: 'ok' })
    ]).events.filter((e) => e.type === 'tool_start' || e.type === 'tool_end').map((e) => e.data)
    expect(starts).toEqual([
      { tool_id: 'c_read', name: 'read', summary: '/repo/a.ts' }, { tool_id: 'c_read', ok: true, summary: '<file>' },
      { tool_id: 'c_webfetch', name: 'webfetch', summary: 'https://example.com' }, { tool_id: 'c_webfetch', ok: true },
      { tool_id: 'c_github_create_issue', name: 'github_create_issue', summary: '{"title":"x"}' }, { tool_id: 'c_github_create_issue', ok: false, summary: 'boom' },
      { tool_id: 'c_custom', name: 'custom', summary: '{"a":1}' }, { tool_id: 'c_custom', ok: true, summary: 'ok' }
    ])
  })
})
