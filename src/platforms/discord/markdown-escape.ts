// Text from the agent (a tool's name, the command it wants to run) shown literally in Discord: a
// backslash before any ASCII punctuation makes Discord print the character instead of reading it as
// markdown, a mention, a timestamp or an emoji. Without it `rm -rf **/*.tmp` would render bold, and
// the user would approve something other than what they read.
export function escapeMarkdown (text: string): string {
  return text.replace(/[!-/:-@[-`{-~]/g, '\\$&')
}
