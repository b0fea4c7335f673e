// Built-in commands are answered by the gateway itself, never by the agent, and are
// always available to every caller. A config command may not reuse their names: a caller typing
// `/cancel` must never start a run instead of cancelling one.

export const BUILTIN_COMMANDS = ['help', 'status', 'cancel', 'new', 'confirm', 'allow', 'deny'] as const
export type BuiltinName = (typeof BUILTIN_COMMANDS)[number]

/** One-line usage for /help. */
export const BUILTIN_USAGE: Readonly<Record<BuiltinName, string>> = {
  help: '/help — list the commands you may use',
  status: '/status — your active runs',
  cancel: '/cancel [run-id] — stop a run (your latest when no id is given)',
  new: '/new — start a fresh agent session',
  confirm: '/confirm CODE — confirm a command that asked for confirmation',
  allow: '/allow ID — allow a tool the agent asked permission for',
  deny: '/deny ID — refuse a tool the agent asked permission for'
}

export function isBuiltin (name: string): name is BuiltinName {
  return (BUILTIN_COMMANDS as readonly string[]).includes(name)
}
