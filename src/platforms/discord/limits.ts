// Discord takes 2000 characters of message content.
import type { MessageLimits } from '../adapter.ts'

export const DISCORD_LIMITS: MessageLimits = { chars: 2000, unit: 'codepoint', maxMessages: 4 }

/** Text that goes out without the splitter (built-in answers): cut to one message, never mid-character. */
export function fitOneMessage (text: string): string {
  const chars = [...text]
  if (chars.length <= DISCORD_LIMITS.chars) return text
  return `${chars.slice(0, DISCORD_LIMITS.chars - 1).join('')}…`
}
