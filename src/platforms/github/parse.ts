// Reads a verified GitHub delivery: which event, whether it is a failure worth waking the agent for,
// and the one direct message it becomes.
import { createHash } from 'node:crypto'
import type { InboundRequest, ParseResult } from '../adapter.ts'
import { ignoredAnswer, pingAnswer } from './answer.ts'
import { isCompactRun, readCompactRun } from './compact-run.ts'
import { readCheckSuite } from './check-suite.ts'
import { eventLabel, readEventName } from './event-name.ts'
import { stringAt, type JsonObject } from './fields.ts'
import type { Extracted } from './failure.ts'
import { DEFAULT_PROMPT, renderPrompt } from './prompt.ts'
import { readPayload } from './read-payload.ts'
import { readWorkflowRun } from './workflow-run.ts'

export function parseGithub (req: InboundRequest): ParseResult {
  try {
    return parse(req)
  } catch {
    // parse must not throw; the only way here is a payload nested deeper than the JSON parser's stack.
    return { kind: 'invalid', reason: 'malformed_body' }
  }
}

function parse (req: InboundRequest): ParseResult {
  const event = readEventName(req.headers)
  if (!event.ok) return { kind: 'invalid', reason: event.reason }
  // Sent once when the hook is created; answered so GitHub's "Recent Deliveries" shows a green tick.
  if (event.name === 'ping') return { kind: 'ignore', reason: 'ping', answer: pingAnswer() }

  const payload = readPayload(req.rawBody, req.headers)
  if (payload === null) return { kind: 'invalid', reason: 'malformed_body' }

  const extracted = extract(event.name, payload)
  switch (extracted.kind) {
    case 'invalid':
      return extracted
    case 'ignore':
      return { kind: 'ignore', reason: extracted.reason, answer: ignoredAnswer(extracted.label, extracted.reason) }
  }

  const { failure } = extracted
  const prompt = renderPrompt(req.caller.prompt ?? DEFAULT_PROMPT, failure)
  return {
    kind: 'messages',
    messages: [{
      text: prompt,
      user: failure.user,
      // Failures of the same branch continue one agent session; without a branch, of the same commit.
      thread: `${failure.repository}@${failure.branch || failure.sha}`,
      // The contract's idempotency key for GitHub: a redelivery carries the same bytes, and any change
      // to them (a new run, a new attempt) is a new event.
      eventId: createHash('sha256').update(req.rawBody).digest('hex'),
      target: { repository: failure.repository, run_url: failure.url },
      direct: { command: failure.command, prompt }
    }]
  }
}

function extract (event: string, payload: JsonObject): Extracted {
  switch (event) {
    case 'workflow_run':
      return isCompactRun(payload) ? readCompactRun(payload) : readWorkflowRun(payload)
    case 'check_suite':
      return readCheckSuite(payload)
    default:
      return { kind: 'ignore', reason: 'event_ignored', label: eventLabel(event, stringAt(payload, 'action')) }
  }
}
