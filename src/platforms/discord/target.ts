// What a Discord reply needs, stored with the run. The interaction token is a credential, but one
// that Discord issues for this interaction alone and that expires 15 minutes after it: it is the
// only way to answer, and storing it is what lets a restarted gateway still deliver.
import type { ReplyTarget } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { isInteractionToken, isSnowflake } from './fields.ts'

export interface DiscordTarget {
  application_id: string
  token: string
  channel_id: string | null
  /** When the interaction arrived, ms: the token's clock. */
  received_at: number
}

export function readDiscordTarget (target: ReplyTarget): DiscordTarget {
  const { application_id: applicationId, token, received_at: receivedAt } = target
  const channelId = target.channel_id ?? null
  if (!isSnowflake(applicationId) || !isInteractionToken(token) || typeof receivedAt !== 'number' || !Number.isFinite(receivedAt) ||
    (channelId !== null && !isSnowflake(channelId))) {
    throw new DeliveryError('discord: the stored reply target is not a Discord interaction', { retryable: false })
  }
  return { application_id: applicationId, token, channel_id: channelId, received_at: receivedAt }
}
