import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../../src/runner/agent-event.ts'
import { ANSWER_MAX_CHARS } from '../../../src/runner/parsers/answer-text.ts'
import { createGeminiParser, geminiToolSummary } from '../../../src/runner/parsers/gemini-parser.ts'
import { fixture } from '../helpers.ts'

function feed (name: string): { events: AgentEvent[], parser: ReturnType<typeof createGeminiParser> } {
  const parser = createGeminiParser()
  const lines = readFileSync(fixture(`agents/gemini/${name}`), 'utf8').split('\n')
  const events = lines.flatMap((line) => parser.line(line)) as AgentEvent[]
  return { events, parser }
}

const SESSION = '6f1c1d8e-2b7a-4c1e-9a53-0d2f4b8e7c11'

describe('gemini parser on a recorded success with tool calls', () => {
  const { events, parser } = feed('success-tool.jsonl')

  it('maps every line to the common events, in order', () => {
    expect(events).toEqual([
      { type: 'log', data: { stream: 'stdout', line: 'Loaded cached credentials.' } },
      { type: 'session', data: { session: SESSION, model: 'gemini-2.5-pro' } },
      { type: 'text', data: { text: 'Let me look.' } },
      { type: 'tool_start', data: { tool_id: 'run_shell_command-1795261201200-0', name: 'run_shell_command', summary: 'ls' } },
      { type: 'tool_end', data: { tool_id: 'run_shell_command-1795261201200-0', ok: true, summary: 'README.md' } },
      { type: 'tool_start', data: { tool_id: 'read_file-1795261201300-1', name: 'read_file', summary: '/nonexistent/NOTES.md' } },
      { type: 'tool_end', data: { tool_id: 'read_file-1795261201300-1', ok: false, summary: 'File not found: /nonexistent/NOTES.md' } },
      { type: 'log', data: { stream: 'stdout', line: 'gemini warning: Loop detection was skipped for this turn.' } },
      { type: 'text', data: { text: '\n\nThere are two ' } },
      { type: 'text', data: { text: 'entries: README.md and src.' } }
    ])
  })

  it('reports success with the streamed text as the answer, since `result` carries none', () => {
    expect(parser.report(0)).toEqual({
      ok: true,
      output: 'Let me look.\n\nThere are two entries: README.md and src.',
      session: SESSION,
      cost_usd: null,
      turns: null
    })
    expect(parser.session()).toBe(SESSION)
  })

  it('never echoes the user prompt as assistant text', () => {
    expect(events.some((e) => e.type === 'text' && e.data.text.includes('list files'))).toBe(false)
  })
})

describe('gemini parser on failures', () => {
  it('reports a fatal error result as failed, with the error as the output', () => {
    const { events, parser } = feed('fatal-error.jsonl')
    expect(events.map((e) => e.type)).toEqual(['session', 'text'])
    expect(parser.report(53)).toEqual({
      ok: false,
      output: 'FatalTurnLimitedError: Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns in settings.json.',
      session: SESSION,
      cost_usd: null,
      turns: null
    })
  })

  it('has no report when the stream ends without a result', () => {
    const { events, parser } = feed('no-result.jsonl')
    expect(events.map((e) => e.type)).toEqual(['session', 'text'])
    expect(parser.report(1)).toBeNull()
    expect(parser.session()).toBe(SESSION)
  })

  it('has no report and no session for nothing but stderr-style noise', () => {
    const parser = createGeminiParser()
    expect(parser.line('')).toEqual([])
    expect(parser.line('[1,2]')).toEqual([{ type: 'log', data: { stream: 'stdout', line: '[1,2]' } }])
    expect(parser.line('{"type":"message","role":"assistant"')).toEqual([{ type: 'log', data: { stream: 'stdout', line: '{"type":"message","role":"assistant"' } }])
    expect(parser.report(41)).toBeNull()
    expect(parser.session()).toBeNull()
  })

  it('keeps the answer bounded while every delta still streams whole', () => {
    const parser = createGeminiParser()
    const piece = 'x'.repeat(ANSWER_MAX_CHARS / 2 + 1)
    const line = JSON.stringify({ type: 'message', role: 'assistant', content: piece, delta: true })
    const streamed = [...parser.line(line), ...parser.line(line)]
    parser.line('{"type":"result","status":"success","stats":{}}')
    expect(streamed.map((e) => e.type === 'text' ? e.data.text.length : 0)).toEqual([piece.length, piece.length])
    expect(parser.report(0)?.output.length).toBe(ANSWER_MAX_CHARS)
  })

  it('ignores lines whose fields have the wrong types', () => {
    const parser = createGeminiParser()
    expect(parser.line('{"type":"init","session_id":42}')).toEqual([])
    expect(parser.line('{"type":"tool_use","tool_id":1,"tool_name":"x"}')).toEqual([])
    expect(parser.line('{"type":"message","role":"assistant","content":{"text":"x"}}')).toEqual([])
    expect(parser.line('{"type":"error","severity":"warning"}')).toEqual([])
  })
})

describe('gemini tool summaries', () => {
  it('names the target of each built-in tool, one line, at most 200 characters', () => {
    expect(geminiToolSummary('run_shell_command', { command: 'git log\n--oneline', description: 'x' })).toBe('git log --oneline')
    expect(geminiToolSummary('replace', { file_path: '/a/b.ts', old_string: 'x', new_string: 'y' })).toBe('/a/b.ts')
    expect(geminiToolSummary('list_directory', { dir_path: 'src' })).toBe('src')
    expect(geminiToolSummary('google_web_search', { query: 'q' })).toBe('q')
    expect(geminiToolSummary('run_shell_command', { command: 'x'.repeat(500) })).toHaveLength(200)
  })

  it('falls back to compact JSON for other tools', () => {
    expect(geminiToolSummary('mcp_github_create_issue', { title: 't' })).toBe('{"title":"t"}')
  })
})
