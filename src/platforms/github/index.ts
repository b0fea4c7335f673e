// The GitHub adapter: a failed workflow run or check suite becomes one direct prompt for
// the agent. GitHub has no reply channel for a webhook, so the result goes only to the caller's
// optional `callback`, which the delivery service handles for every caller alike.
import type { DeliveryContext, DeliveryProgress, PlatformAdapter, ReplyTarget } from '../adapter.ts'
import { answerGithub } from './answer.ts'
import { parseGithub } from './parse.ts'

async function deliver (ctx: DeliveryContext, _target: ReplyTarget, parts: string[], _progress: DeliveryProgress): Promise<void> {
  // Nothing to send; recording every part as sent ends the delivery instead of retrying it.
  await ctx.save({ sent: parts.length })
}

export const githubAdapter: PlatformAdapter = Object.freeze({
  scheme: 'github',
  // Only the length of an issue comment, should an operator forward results there; nothing is split.
  limits: Object.freeze({ chars: 65536, unit: 'codepoint', maxMessages: 1 }),
  syncWaitMs: 0,
  answerVisible: false,
  parse: parseGithub,
  answer: answerGithub,
  deliver
})

export { DEFAULT_PROMPT } from './prompt.ts'
