// Telegram's command syntax onto hookgate's `/name args`. In groups Telegram appends the bot's
// username to a command picked from the menu (`/status@hookgate_bot`); only the first token is a
// command, so only there is `@name` removed. `/start` is what every private chat begins with, and
// its deep-link payload is arbitrary text from whoever made the link: it becomes plain `/help`.

const ADDRESSED_COMMAND = /^\/([A-Za-z0-9_]{1,64})@[A-Za-z0-9_]{1,64}(?=\s|$)/
const START = /^\/start(?=\s|$)/i

export function telegramCommandText (text: string): string {
  const command = text.replace(ADDRESSED_COMMAND, '/$1')
  return START.test(command) ? '/help' : command
}
