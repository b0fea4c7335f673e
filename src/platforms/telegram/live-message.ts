// The one message a run's live view edits in place, as remembered in the delivery state.
import type { DeliveryProgress } from '../adapter.ts'
import { isMessageId } from './fields.ts'

export function liveMessageId (progress: DeliveryProgress): number | null {
  return isMessageId(progress.message_id) ? progress.message_id : null
}

export function lastTextHash (progress: DeliveryProgress): string | null {
  return typeof progress.last_text_hash === 'string' ? progress.last_text_hash : null
}
