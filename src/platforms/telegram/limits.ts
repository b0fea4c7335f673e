// Telegram counts a message's length in UTF-16 code units (its entity offsets use the same unit).
import type { MessageLimits } from '../adapter.ts'

export const TELEGRAM_LIMITS: MessageLimits = { chars: 4096, unit: 'utf16', maxMessages: 4 }

/** Text that goes out without the splitter (built-in answers): cut to one message, never mid-character. */
export function fitOneMessage (text: string): string {
  if (text.length <= TELEGRAM_LIMITS.chars) return text
  let end = TELEGRAM_LIMITS.chars - 1
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end--
  return `${text.slice(0, end)}…`
}
