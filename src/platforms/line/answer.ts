// LINE ignores the body of the webhook answer and counts anything slower than 2 s as a failure:
// every request is acknowledged at once with 200, and whatever the user should read is sent with
// the Reply or Push API.
import type { HttpAnswer } from '../adapter.ts'

export function lineAck (): HttpAnswer {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }
}
