// Telegram Bot API callers.
import type { PlatformAdapter } from '../adapter.ts'
import { parseTelegram } from './parse.ts'
import { telegramAnswer } from './answer.ts'
import { askTelegramPermission } from './ask-permission.ts'
import { deliverTelegram } from './deliver.ts'
import { showProgress } from './progress.ts'
import { TELEGRAM_LIMITS } from './limits.ts'

export const telegramAdapter: PlatformAdapter = {
  scheme: 'telegram',
  limits: TELEGRAM_LIMITS,
  // Telegram publishes no deadline and retries slow answers: acknowledge at once, then show the
  // run as it goes with the live message.
  syncWaitMs: 0,
  answerVisible: true,
  parse: parseTelegram,
  answer: telegramAnswer,
  deliver: deliverTelegram,
  progress: showProgress,
  // Telegram allows about one edit per second per chat and fewer in groups; every 3 s stays clear.
  progressIntervalMs: 3000,
  askPermission: askTelegramPermission
}
