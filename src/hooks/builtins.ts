// The built-in commands every caller has: they answer at once and start no run,
// except /confirm, which starts the run it confirms.
import type { Gateway } from '../gateway.ts'
import type { Notice } from '../schemas/http.ts'

export interface BuiltinContext {
  gateway: Gateway
  caller: string
  user: string | null
}

export function helpNotice ({ gateway, caller }: BuiltinContext): Notice {
  const callerConfig = gateway.config.callers[caller]
  const names = callerConfig?.commands ?? []
  const lines = names.map((name) => {
    const description = gateway.config.commands[name]?.description
    return `/${name}${description !== undefined ? ` — ${description}` : ''}`
  })
  if (callerConfig?.default_command !== undefined) lines.push(`Text without a leading slash runs /${callerConfig.default_command}.`)
  lines.push('/status — your active runs', '/cancel [run-id] — cancel your latest (or the named) run', '/new — start a fresh conversation', '/confirm CODE — confirm a command that asked for it', '/allow ID, /deny ID — answer the agent\'s permission request')
  return { kind: 'help', message: lines.join('\n') }
}

export async function statusNotice ({ gateway, caller, user }: BuiltinContext): Promise<Notice> {
  const runs = await gateway.activeRuns(caller, user)
  const message = runs.length === 0
    ? 'No active runs.'
    : runs.map((r) => `${r.id} ${r.status} /${r.command} since ${r.started_at ?? r.created_at}`).join('\n')
  return { kind: 'status', message, runs }
}

export async function cancelNotice ({ gateway, caller, user }: BuiltinContext, args: string): Promise<Notice> {
  const wanted = args.trim()
  const mine = await gateway.activeRuns(caller, user)
  const target = wanted === ''
    ? mine.at(-1)
    : mine.find((r) => r.id === wanted)
  if (target === undefined) {
    return { kind: 'cancel', message: wanted === '' ? 'No active run to cancel.' : `No active run ${wanted} of yours.` }
  }
  const run = await gateway.registry.get(target.id)
  const cancelling = run !== null && await gateway.cancelRun(run, `cancelled by ${user ?? caller} with /cancel`).catch(() => null)
  if (cancelling === null) return { kind: 'cancel', message: `${target.id} cannot be reached right now; try again in a moment.`, runs: [target] }
  if (cancelling === false) return { kind: 'cancel', message: `${target.id} has already finished.`, runs: [run?.snapshot() ?? target] }
  return { kind: 'cancel', message: `Cancelling ${target.id}.`, runs: [run?.snapshot() ?? target] }
}

/** `/new`: the conversation's stored session is dropped; a run still working in it is not disturbed. */
export async function newSessionNotice ({ gateway, caller }: BuiltinContext, conversation: string | null): Promise<Notice> {
  if (conversation === null) {
    return { kind: 'new', message: 'Every request here already starts a fresh agent session (send a user or thread to keep a conversation going).' }
  }
  const had = await gateway.sessions.reset(conversation)
  return { kind: 'new', message: had ? 'Started a fresh conversation: your next message begins a new agent session.' : 'Your next message begins a new agent session.' }
}
