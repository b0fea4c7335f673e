// Posts result parts to the caller's Workflows webhook. The URL carries its own `sig=`
// authorisation, so it is read from the config at delivery time and never named in an error.
// A part over the 28 KB payload limit (long CJK or escape-heavy output) goes as several cards, and
// progress records the card within the part, so a retry never posts one twice.
import type { DeliveryContext, DeliveryProgress, ReplyTarget } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { resultCard } from './card.ts'
import { splitToEncodedBytes } from './encoded-size.ts'

// Teams takes 28 KB; the margin leaves room for what the flow adds around the card.
const MAX_PAYLOAD_BYTES = 27 * 1024

export async function deliverTeams (ctx: DeliveryContext, target: ReplyTarget, parts: string[], progress: DeliveryProgress): Promise<void> {
  const url = ctx.caller.reply?.webhook_url
  if (url === undefined || url === '') {
    throw new DeliveryError('teams: no reply.webhook_url configured, so results that miss the 5 s answer cannot be posted', { retryable: false })
  }
  const userName = typeof target.user_name === 'string' && target.user_name !== '' ? target.user_name : null
  // The first part posted to the channel says whom it answers: part 0, or the first part after those
  // the webhook answer carried (they are in the reply chain of the question, the posts are not).
  const firstPosted = answeredParts(progress)
  for (let i = progress.sent; i < parts.length; i++) {
    const forName = i === firstPosted ? userName : null
    const cards = splitToEncodedBytes(parts[i]!, textBudget(forName))
    for (let k = i === progress.sent ? savedCard(progress) : 0; k < cards.length; k++) {
      await ctx.http.send({ method: 'POST', url, json: resultCard(cards[k]!, k === 0 ? forName : null) })
      if (k + 1 < cards.length) await ctx.save({ ...progress, sent: i, card: k + 1 })
    }
    await ctx.save({ ...progress, sent: i + 1, card: 0 })
  }
}

function textBudget (forName: string | null): number {
  return MAX_PAYLOAD_BYTES - Buffer.byteLength(JSON.stringify(resultCard('', forName)))
}

/** `progress.answered`: parts the webhook answer carried (recorded by the delivery service), else 0. */
function answeredParts (progress: DeliveryProgress): number {
  const answered = progress.answered
  return typeof answered === 'number' && Number.isSafeInteger(answered) && answered > 0 ? answered : 0
}

function savedCard (progress: DeliveryProgress): number {
  const card = progress.card
  return typeof card === 'number' && Number.isSafeInteger(card) && card > 0 ? card : 0
}
