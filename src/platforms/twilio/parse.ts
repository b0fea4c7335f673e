// Reads a Twilio Messaging webhook (SMS and WhatsApp): a form post whose parameters the signature
// already covers. Only the fields hookgate uses are read, and each is checked, because Twilio adds
// parameters without notice and a status callback pointed at the same URL looks almost the same.
import type { InboundRequest, ParseResult } from '../adapter.ts'
import { twilioAck } from './answer.ts'

const MESSAGE_SID = /^(SM|MM)[0-9a-f]{32}$/i
// Phone numbers, short codes, alphanumeric senders and channel addresses (`whatsapp:+E164`):
// printable ASCII without spaces is all any of them uses.
const ADDRESS = /^[\x21-\x7e]{1,256}$/
const USED_FIELDS = ['MessageSid', 'From', 'To', 'Body'] as const

export function parseTwilio (req: InboundRequest): ParseResult {
  if (!isForm(req.headers['content-type'])) return { kind: 'invalid', reason: 'not_form_encoded' }
  let params: URLSearchParams
  try {
    params = new URLSearchParams(new TextDecoder('utf-8', { fatal: true }).decode(req.rawBody))
  } catch {
    return { kind: 'invalid', reason: 'not_utf8' }
  }
  // A repeated field would make "which value did we act on" a question; Twilio never repeats these.
  if (USED_FIELDS.some((name) => params.getAll(name).length > 1)) return { kind: 'invalid', reason: 'repeated_field' }

  const body = params.get('Body')
  if (body === null) {
    // Delivery status callbacks carry MessageStatus and no Body: nothing to run, nothing wrong.
    if (params.has('MessageStatus') || params.has('SmsStatus')) return { kind: 'ignore', reason: 'status_callback', answer: twilioAck() }
    return { kind: 'invalid', reason: 'missing_body' }
  }
  const sid = params.get('MessageSid')
  if (sid === null || !MESSAGE_SID.test(sid)) return { kind: 'invalid', reason: 'bad_message_sid' }
  const from = params.get('From')
  if (from === null || !ADDRESS.test(from)) return { kind: 'invalid', reason: 'bad_from' }
  const to = params.get('To')
  if (to === null || !ADDRESS.test(to)) return { kind: 'invalid', reason: 'bad_to' }

  const text = body.trim()
  // A picture or voice note without a caption: there is nothing to give the agent.
  if (text === '') return { kind: 'ignore', reason: 'no_text', answer: twilioAck() }
  return {
    kind: 'messages',
    messages: [{ text, user: from, thread: from, eventId: sid, target: { to: from, from: to } }]
  }
}

function isForm (contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded'
}
