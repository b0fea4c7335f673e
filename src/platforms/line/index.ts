// LINE Messaging API: acknowledge at once (LINE ignores the answer), reply with
// the Reply API while its token is fresh, else push. Permission questions are Flex messages whose
// buttons come back as postback events.
import type { PlatformAdapter } from '../adapter.ts'
import { lineAck } from './answer.ts'
import { askLinePermission } from './ask-permission.ts'
import { deliverLine } from './deliver.ts'
import { LOADING_INTERVAL_MS, showLoading } from './loading.ts'
import { parseLine } from './parse.ts'

export const lineAdapter: PlatformAdapter = {
  scheme: 'line',
  // LINE counts UTF-16 code units (an emoji is 2); one Reply or Push call takes 5 messages.
  limits: { chars: 5000, unit: 'utf16', maxMessages: 5 },
  // The answer is never shown, so nothing is worth waiting for inside LINE's 2 s deadline.
  syncWaitMs: 0,
  answerVisible: false,
  parse: parseLine,
  answer: () => lineAck(),
  deliver: deliverLine,
  progress: showLoading,
  progressIntervalMs: LOADING_INTERVAL_MS,
  // The animation lasts 60 s: renewed while the agent works, whether or not it writes anything.
  progressKeepsAlive: true,
  askPermission: askLinePermission
}
