// Sends a result through Twilio's Messages API, one message per part, in order. Twilio has no
// idempotency key for creating messages, so progress is saved after every part: a retried
// delivery resumes after the last part Twilio accepted instead of sending it again.
import { DeliveryError } from '../../delivery/outbound.ts'
import type { DeliveryContext, DeliveryProgress, ReplyTarget } from '../adapter.ts'
import { hasContent } from './answer.ts'

const DEFAULT_API_BASE = 'https://api.twilio.com'
const ACCOUNT_SID = /^AC[0-9a-f]{32}$/i
const CHANNEL = /^[a-z]+:/i

export async function deliverTwilio (ctx: DeliveryContext, target: ReplyTarget, parts: string[], progress: DeliveryProgress): Promise<void> {
  const { to, from: wroteTo } = readTarget(target)
  const reply = ctx.caller.reply ?? {}
  const accountSid = reply.account_sid
  if (accountSid === undefined || !ACCOUNT_SID.test(accountSid)) {
    throw new DeliveryError('twilio: reply.account_sid is not configured', { retryable: false })
  }
  // Only the primary Auth Token is valid for the API; secrets[0] is the one the config calls primary.
  const authToken = ctx.caller.secrets[0]
  if (authToken === undefined || authToken === '') throw new DeliveryError('twilio: the caller has no auth token', { retryable: false })
  const from = sameChannel(reply.from ?? wroteTo, to)
  const url = `${(reply.api_base ?? DEFAULT_API_BASE).replace(/\/+$/, '')}/2010-04-01/Accounts/${accountSid}/Messages.json`
  const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`

  for (let i = progress.sent; i < parts.length; i++) {
    const body = parts[i]!
    // Twilio answers 400 (21602) to an empty Body; a blank part has nothing to deliver.
    if (hasContent(body)) {
      await ctx.http.send({ method: 'POST', url, headers: { authorization }, form: { To: to, From: from, Body: body } })
    }
    await ctx.save({ ...progress, sent: i + 1 })
  }
}

function readTarget (target: ReplyTarget): { to: string, from: string } {
  const { to, from } = target
  if (typeof to !== 'string' || to === '' || typeof from !== 'string' || from === '') {
    throw new DeliveryError('twilio: the reply target is malformed', { retryable: false })
  }
  return { to, from }
}

/**
 * A configured sender is usually written as a plain number; a user who wrote over WhatsApp must
 * be answered from the WhatsApp address of that number, or Twilio refuses the pair (21910).
 */
function sameChannel (from: string, to: string): string {
  const channel = CHANNEL.exec(to)?.[0]
  if (channel === undefined || CHANNEL.test(from)) return from
  return `${channel}${from}`
}
