// A slash command as hookgate text. An app registers hookgate's built-ins and the caller's commands
// under their own names (`/status`, `/deploy env:production`), which become `/name args`; any other
// command (`/ask prompt:…`) carries free text for the caller's default command. A command with
// nothing in it asks for /help.
import { isBuiltin } from '../../policy/builtins.ts'

export function commandText (name: string, words: string[], callerCommands: readonly string[]): string {
  const args = words.join(' ')
  if (isBuiltin(name) || callerCommands.includes(name)) return args === '' ? `/${name}` : `/${name} ${args}`
  return args === '' ? '/help' : args
}
