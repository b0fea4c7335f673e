// Slack: slash commands answered ephemerally at once, results through their response_url; app
// mentions and direct messages (Events API) acknowledged empty, results in the message's thread.
// Permission questions carry Allow / Deny buttons, whose presses come back as interactivity payloads.
import type { PlatformAdapter } from '../adapter.ts'
import { answerSlack, slackAnswerShows } from './answer.ts'
import { askSlackPermission } from './ask-permission.ts'
import { deliverSlack } from './deliver.ts'
import { parseSlack } from './parse.ts'

export const slackAdapter: PlatformAdapter = {
  scheme: 'slack',
  // ~4,000 characters is Slack's advice per message; response_url takes five posts, one kept spare
  // (for a permission question).
  limits: { chars: 3900, unit: 'codepoint', maxMessages: 4 },
  // Slack's deadline is 3 s and a slash command's answer can only be text: acknowledge at once.
  syncWaitMs: 0,
  answerVisible: true,
  // Events API and button-press answers are thrown away by Slack: notices are delivered instead.
  answerShows: slackAnswerShows,
  parse: parseSlack,
  answer: answerSlack,
  deliver: deliverSlack,
  askPermission: askSlackPermission
}
