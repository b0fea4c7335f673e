// The one message a run's live view edits in place, as remembered in the delivery state, and when
// Telegram last asked the bot to hold off (a 429's `retry_after`).
import type { DeliveryProgress } from '../adapter.ts'
import { isMessageId } from './fields.ts'

export function liveMessageId (progress: DeliveryProgress): number | null {
  return isMessageId(progress.message_id) ? progress.message_id : null
}

export function lastTextHash (progress: DeliveryProgress): string | null {
  return typeof progress.last_text_hash === 'string' ? progress.last_text_hash : null
}

/** Until when (ms, the delivery clock) Telegram asked for no more calls, or null. */
export function holdUntil (progress: DeliveryProgress): number | null {
  return typeof progress.hold_until === 'number' && Number.isFinite(progress.hold_until) ? progress.hold_until : null
}

/** The state without a hold: once a call went through, the hold is over. */
export function withoutHold (progress: DeliveryProgress): DeliveryProgress {
  if (!('hold_until' in progress)) return progress
  const { hold_until: _hold, ...rest } = progress
  return rest as DeliveryProgress
}
