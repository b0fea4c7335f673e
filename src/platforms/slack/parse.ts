// Reads a verified Slack request: a slash command, an interactivity payload or an Events API callback.
import secureJson from 'secure-json-parse'
import type { InboundRequest, ParseResult } from '../adapter.ts'
import { parseEventsApi } from './events-api.ts'
import { parseInteractivity } from './interactivity.ts'
import { slackRequestKind } from './request-kind.ts'
import { parseSlashCommand } from './slash-command.ts'

export function parseSlack (req: InboundRequest): ParseResult {
  const text = req.rawBody.toString('utf8')
  const kind = slackRequestKind(req.rawBody)
  if (kind === 'events') {
    let body: unknown
    try {
      body = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
    } catch {
      return { kind: 'invalid', reason: 'invalid_json' }
    }
    return parseEventsApi(body)
  }
  const form = new URLSearchParams(text)
  if (kind === 'interactivity') return parseInteractivity(form, req)
  if (form.has('command')) return parseSlashCommand(form, req)
  return { kind: 'invalid', reason: 'not_a_slack_payload' }
}
