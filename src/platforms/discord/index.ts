// Discord interaction callers.
import type { PlatformAdapter } from '../adapter.ts'
import { parseDiscord } from './parse.ts'
import { discordAnswer } from './answer.ts'
import { askDiscordPermission } from './ask-permission.ts'
import { deliverDiscord } from './deliver.ts'
import { DISCORD_LIMITS } from './limits.ts'

export const discordAdapter: PlatformAdapter = {
  scheme: 'discord',
  limits: DISCORD_LIMITS,
  // Discord allows 3 s for the first answer and never retries: defer at once, deliver by webhook.
  syncWaitMs: 0,
  answerVisible: true,
  parse: parseDiscord,
  answer: discordAnswer,
  deliver: deliverDiscord,
  askPermission: askDiscordPermission
}
