// Twilio Messaging (SMS and WhatsApp): the answer is TwiML Twilio sends on our
// behalf; results that take longer go out through the Messages API.
import type { PlatformAdapter } from '../adapter.ts'
import { answerTwilio } from './answer.ts'
import { deliverTwilio } from './deliver.ts'
import { parseTwilio } from './parse.ts'

export const twilioAdapter: PlatformAdapter = {
  scheme: 'twilio',
  // Twilio's Body limit; SMS is billed per segment, so a result takes at most three messages.
  limits: { chars: 1600, unit: 'codepoint', maxMessages: 3 },
  // Twilio waits 15 s in all, connecting included; 8 s leaves room for a slow connect and the answer.
  syncWaitMs: 8000,
  answerVisible: true,
  parse: parseTwilio,
  answer: (reactions) => answerTwilio(reactions),
  deliver: deliverTwilio
}
