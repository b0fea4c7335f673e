#!/usr/bin/env node
// hookgate's built-in demo agent, for a quick start without Claude Code. It speaks Claude Code's
// `-p --output-format stream-json --verbose --include-partial-messages` line shapes:
// init, streamed text, one tool call with its result, a final result. It executes nothing: the tool
// call and its output are scripted. Standalone on purpose (no project imports): the gateway runs it as
// a separate process exactly like a real agent.
//
// Usage: demo-agent.ts -- PROMPT     (or the prompt on stdin when there is no "--")
// Env: HOOKGATE_DEMO_DELAY_MS — pause between chunks (default: 50–150 ms, varied).
import { randomUUID } from 'node:crypto'

const NOTICE = 'hookgate demo agent — no real agent is configured; install Claude Code or set agent.profile.'

type Line = Record<string, unknown>

const session = randomUUID()
const configuredDelay = Number.parseInt(process.env.HOOKGATE_DEMO_DELAY_MS ?? '', 10)

// The reader went away (run cancelled): nothing left to say.
process.stdout.on('error', () => process.exit(0))

function pause (): Promise<void> {
  const ms = Number.isFinite(configuredDelay) && configuredDelay >= 0 ? configuredDelay : 50 + Math.floor(Math.random() * 100)
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function write (line: Line): void {
  process.stdout.write(`${JSON.stringify({ ...line, session_id: session, uuid: randomUUID() })}\n`)
}

function streamEvent (event: Line): void {
  write({ type: 'stream_event', event, parent_tool_use_id: null })
}

async function readPrompt (): Promise<string> {
  const separator = process.argv.indexOf('--')
  if (separator !== -1) return process.argv.slice(separator + 1).join(' ')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** One assistant message streamed as deltas, then repeated whole, as Claude does with partial messages. */
async function say (messageId: string, text: string): Promise<void> {
  streamEvent({ type: 'message_start', message: { id: messageId, type: 'message', role: 'assistant', model: 'hookgate-demo', content: [] } })
  streamEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
  for (const piece of text.match(/.{1,40}(\s|$)|.{1,40}/gsu) ?? []) {
    await pause()
    streamEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } })
  }
  streamEvent({ type: 'content_block_stop', index: 0 })
  write({ type: 'assistant', message: { id: messageId, type: 'message', role: 'assistant', model: 'hookgate-demo', content: [{ type: 'text', text }], stop_reason: null }, parent_tool_use_id: null })
}

async function main (): Promise<void> {
  const started = Date.now()
  const prompt = await readPrompt()
  write({ type: 'system', subtype: 'init', cwd: process.cwd(), model: 'hookgate-demo', tools: ['Bash', 'Read'], mcp_servers: [], permissionMode: 'default', apiKeySource: 'none', claude_code_version: 'hookgate-demo' })
  await pause()

  await say('msg_demo_1', `This is the ${NOTICE} Here is what a tool call looks like:`)
  const toolId = `toolu_demo_${randomUUID().replaceAll('-', '').slice(0, 20)}`
  const input = { command: 'ls', description: 'List files (demo: not actually run)' }
  streamEvent({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: toolId, name: 'Bash', input: {} } })
  streamEvent({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: JSON.stringify(input) } })
  streamEvent({ type: 'content_block_stop', index: 1 })
  write({ type: 'assistant', message: { id: 'msg_demo_1', type: 'message', role: 'assistant', model: 'hookgate-demo', content: [{ type: 'tool_use', id: toolId, name: 'Bash', input }], stop_reason: null }, parent_tool_use_id: null })
  streamEvent({ type: 'message_stop' })
  await pause()

  const fakeListing = 'README.md\nsrc\n(demo output: nothing was executed)'
  write({ type: 'user', message: { role: 'user', content: [{ tool_use_id: toolId, type: 'tool_result', content: fakeListing, is_error: false }] }, parent_tool_use_id: null, tool_use_result: { stdout: fakeListing, stderr: '', interrupted: false, isImage: false } })
  await pause()

  const answer = `DEMO: ${NOTICE} Your prompt was ${[...prompt].length} characters long; a real agent would have answered it.`
  await say('msg_demo_2', answer)
  streamEvent({ type: 'message_stop' })
  write({ type: 'result', subtype: 'success', is_error: false, result: answer, num_turns: 2, duration_ms: Date.now() - started, duration_api_ms: 0, total_cost_usd: 0, stop_reason: 'end_turn', usage: { input_tokens: 0, output_tokens: 0 }, modelUsage: {}, permission_denials: [] })
}

await main()
