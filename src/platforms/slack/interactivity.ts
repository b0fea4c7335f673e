// A button press (interactivity payload, `block_actions`). A press on a permission question's
// button becomes `/allow <id>` or `/deny <id>` from the user who pressed it, answered through the
// press's own response_url; presses on any other button, and the other interactivity types
// (shortcuts, modal submissions), are acknowledged and ignored.
import secureJson from 'secure-json-parse'
import type { InboundRequest, ParseResult } from '../adapter.ts'
import { asId, asMessageTs, isRecord } from './fields.ts'
import { permissionCommand } from './permission-action.ts'
import { isAllowedResponseUrl } from './response-url.ts'

const IGNORED: ParseResult = { kind: 'ignore', reason: 'interactivity', answer: { status: 200 } }

export function parseInteractivity (form: URLSearchParams, req: InboundRequest): ParseResult {
  const fields = form.getAll('payload')
  if (fields.length !== 1) return { kind: 'invalid', reason: 'duplicate_field' }
  let payload: unknown
  try {
    payload = secureJson.parse(fields[0]!, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch {
    return { kind: 'invalid', reason: 'invalid_json' }
  }
  if (!isRecord(payload) || typeof payload.type !== 'string') return { kind: 'invalid', reason: 'bad_type' }
  if (payload.type !== 'block_actions') return IGNORED
  // Slack reports one action per press.
  const actions = payload.actions
  if (!Array.isArray(actions) || actions.length !== 1 || !isRecord(actions[0])) return IGNORED
  const text = permissionCommand(actions[0])
  if (text === null) return IGNORED

  const user = isRecord(payload.user) ? asId(payload.user.id) : null
  if (user === null) return { kind: 'invalid', reason: 'bad_user' }
  const eventId = asId(payload.trigger_id)
  if (eventId === null) return { kind: 'invalid', reason: 'bad_trigger_id' }
  const container = isRecord(payload.container) ? payload.container : {}
  const channel = asId(isRecord(payload.channel) ? payload.channel.id : container.channel_id)
  if (channel === null) return { kind: 'invalid', reason: 'bad_channel' }
  const thread = threadOf(payload.message, container, channel)
  if (thread === null) return { kind: 'invalid', reason: 'bad_thread_ts' }
  const responseUrl = payload.response_url
  if (typeof responseUrl !== 'string' || !isAllowedResponseUrl(responseUrl, req.caller.reply?.api_base)) {
    return { kind: 'invalid', reason: 'bad_response_url' }
  }

  return {
    kind: 'messages',
    messages: [{ text, user, thread, eventId, target: { via: 'response_url', response_url: responseUrl, channel } }]
  }
}

/**
 * The conversation key ordinary messages there get: a question posted into a message's thread
 * (Events API) carries that thread's ts and maps to `<channel>:<thread_ts>`; an ephemeral question
 * (slash command) has no thread and maps to the channel, as the slash command did.
 */
function threadOf (message: unknown, container: Record<string, unknown>, channel: string): string | null {
  const raw = isRecord(message) && message.thread_ts !== undefined ? message.thread_ts : container.thread_ts
  if (raw === undefined) return channel
  const threadTs = asMessageTs(raw)
  return threadTs === null ? null : `${channel}:${threadTs}`
}
