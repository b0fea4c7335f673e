// The built-in commands every caller has (contract §3.1): they answer at once and start no run,
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
  lines.push('/status — your active runs', '/cancel [run-id] — cancel your latest (or the named) run', '/new — start a fresh conversation', '/confirm CODE — confirm a command that asked for it')
  return { kind: 'help', message: lines.join('\n') }
}

export function statusNotice ({ gateway, caller, user }: BuiltinContext): Notice {
  const runs = gateway.registry.active(caller, user).map((r) => r.snapshot())
  const message = runs.length === 0
    ? 'No active runs.'
    : runs.map((r) => `${r.id} ${r.status} /${r.command} since ${r.started_at ?? r.created_at}`).join('\n')
  return { kind: 'status', message, runs }
}

export function cancelNotice ({ gateway, caller, user }: BuiltinContext, args: string): Notice {
  const wanted = args.trim()
  const mine = gateway.registry.active(caller, user)
  const target = wanted === ''
    ? mine.at(-1)
    : mine.find((r) => r.id === wanted)
  if (target === undefined) {
    return { kind: 'cancel', message: wanted === '' ? 'No active run to cancel.' : `No active run ${wanted} of yours.` }
  }
  gateway.registry.cancel(target.id, `cancelled by ${user ?? caller} with /cancel`)
  return { kind: 'cancel', message: `Cancelling ${target.id}.`, runs: [target.snapshot()] }
}

export function newSessionNotice (): Notice {
  // Every run starts a fresh agent session until conversations are configured, so there is
  // nothing to reset yet; the answer says so rather than pretending.
  return { kind: 'new', message: 'The next request starts a fresh conversation.' }
}
