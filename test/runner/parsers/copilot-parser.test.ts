import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../../src/runner/agent-event.ts'
import { copilotToolSummary, createCopilotParser } from '../../../src/runner/parsers/copilot-parser.ts'
import { fixture } from '../helpers.ts'

function feed (name: string): { events: AgentEvent[], parser: ReturnType<typeof createCopilotParser> } {
  const parser = createCopilotParser()
  const lines = readFileSync(fixture(`agents/copilot/${name}`), 'utf8').split('\n')
  const events = lines.flatMap((line) => parser.line(line)) as AgentEvent[]
  return { events, parser }
}

const SESSION = 'b994cdb5-8aa4-4f40-ba44-e1c5724b5ffe'

describe('copilot parser on a recorded success with a tool call', () => {
  const { events, parser } = feed('success-tool.jsonl')

  it('maps the events in order, text from deltas only, the session from the last line', () => {
    expect(events).toEqual([
      { type: 'text', data: { text: 'Let me check.' } },
      { type: 'tool_start', data: { tool_id: 'call_mock_1', name: 'bash', summary: 'echo hello-from-tool' } },
      { type: 'tool_end', data: { tool_id: 'call_mock_1', ok: true, summary: 'hello-from-tool' } },
      { type: 'text', data: { text: '\n\nThe tool ' } },
      { type: 'text', data: { text: 'printed ' } },
      { type: 'text', data: { text: 'hello-from-tool.' } },
      { type: 'session', data: { session: SESSION } }
    ])
  })

  it('reports the exit code and the last complete message as the answer', () => {
    expect(parser.report(0)).toEqual({ ok: true, output: 'The tool printed hello-from-tool.', session: SESSION, cost_usd: null, turns: 2 })
    expect(parser.session()).toBe(SESSION)
  })
})

describe('copilot parser on a denied tool', () => {
  const { events, parser } = feed('denied-tool.jsonl')

  it('ends the tool as failed with a summary saying it was denied', () => {
    const end = events.find((e) => e.type === 'tool_end')
    expect(end).toEqual({
      type: 'tool_end',
      data: { tool_id: 'call_mock_1', ok: false, summary: expect.stringMatching(/^denied: Permission denied because no interactive user response was available/) }
    })
    expect(end?.type === 'tool_end' && (end.data.summary ?? '').length).toBeLessThanOrEqual(200)
  })

  it('still reports success: Copilot exits 0 when tools were refused', () => {
    expect(parser.report(0)).toMatchObject({ ok: true, output: 'The command was not allowed.', session: SESSION })
  })
})

describe('copilot parser on failures and other shapes', () => {
  it('logs session.error and reports failure with the error as the output', () => {
    const { events, parser } = feed('fatal-error.jsonl')
    expect(events).toEqual([
      { type: 'log', data: { stream: 'stdout', line: 'copilot error (model_call): Failed to get response from the AI model; retried 5 times (last error: 503 Service Unavailable)' } },
      { type: 'session', data: { session: SESSION } }
    ])
    expect(parser.report(1)).toEqual({
      ok: false,
      output: 'Failed to get response from the AI model; retried 5 times (last error: 503 Service Unavailable)',
      session: SESSION,
      cost_usd: null,
      turns: 1
    })
  })

  it('takes the text of a complete message when no deltas came for it', () => {
    const { events, parser } = feed('whole-messages.jsonl')
    expect(events.filter((e) => e.type === 'text')).toEqual([{ type: 'text', data: { text: 'Hi there.' } }])
    expect(parser.report(0)?.output).toBe('Hi there.')
  })

  it('has no report and no session before the result line', () => {
    const parser = createCopilotParser()
    const lines = readFileSync(fixture('agents/copilot/success-tool.jsonl'), 'utf8').trim().split('\n').slice(0, -1)
    for (const line of lines) parser.line(line)
    expect(parser.report(0)).toBeNull()
    expect(parser.session()).toBeNull()
  })

  it('passes plain text on as a log line and ignores unknown and malformed events', () => {
    const parser = createCopilotParser()
    expect(parser.line('Error: something odd')).toEqual([{ type: 'log', data: { stream: 'stdout', line: 'Error: something odd' } }])
    expect(parser.line('{"type":"session.future_thing","data":{"x":1}}')).toEqual([])
    expect(parser.line('{"type":"assistant.message_delta","data":{"deltaContent":7}}')).toEqual([])
    expect(parser.line('{"type":"tool.execution_start","data":{"toolCallId":"c"}}')).toEqual([])
    expect(parser.line('{"type":"result","exitCode":"0"}')).toEqual([])
    expect(parser.report(0)).toMatchObject({ ok: false, session: null })
  })
})

describe('copilot tool summaries', () => {
  it('names the target of each built-in tool', () => {
    expect(copilotToolSummary('bash', { command: 'ls -la', description: 'list' })).toBe('ls -la')
    expect(copilotToolSummary('view', { path: '/repo/README.md' })).toBe('/repo/README.md')
    expect(copilotToolSummary('web_fetch', { url: 'https://example.com' })).toBe('https://example.com')
    expect(copilotToolSummary('bash', { command: 'y'.repeat(300) })).toHaveLength(200)
  })

  it('falls back to compact JSON for other tools', () => {
    expect(copilotToolSummary('github-mcp-server-get_issue', { number: 1 })).toBe('{"number":1}')
  })
})
