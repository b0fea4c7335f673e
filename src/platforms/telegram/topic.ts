// The forum topic a message is in. Outside forums a reply also carries `message_thread_id` (the
// thread of replies), and sending to that "thread" fails, so it counts only on topic messages.
import { isMessageId, type Json } from './fields.ts'

export function readTopic (message: Json): number | null | 'invalid' {
  const { message_thread_id: id, is_topic_message: isTopic } = message
  if (id !== undefined && !isMessageId(id)) return 'invalid'
  if (isTopic !== undefined && typeof isTopic !== 'boolean') return 'invalid'
  return isTopic === true && isMessageId(id) ? id : null
}
