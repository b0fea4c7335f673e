// What one verified message becomes, for generic and platform callers alike: a replay of the run
// it already started, a built-in's answer, a confirmation request, a new run, or a refusal. Every
// refusal is audited here, so both kinds of caller leave the same trail; the routes only translate
// the outcome into their answer (HTTP status and JSON, or the platform's own format).
import type { FastifyError } from 'fastify'
import type { Gateway } from '../gateway.ts'
import type { RunRequest, RunState } from '../runs/run-state.ts'
import type { DeliveryChannel } from '../store/run-store.ts'
import type { Notice } from '../schemas/http.ts'
import type { ReplyTarget, PlatformScheme } from '../platforms/adapter.ts'
import { OverloadedError, PolicyDeniedError, RateLimitedError } from '../errors.ts'
import { refusalOutcome, type RequestOutcome } from '../metrics/request-outcome.ts'
import { cancelNotice, helpNotice, newSessionNotice, statusNotice } from './builtins.ts'
import { answerPermission } from './permission-answer.ts'
import { pickProject } from './pick-project.ts'
import { steerIntoActiveRun } from './steer.ts'

export interface Message {
  caller: string
  user: string | null
  thread: string | null
  /** `/command args` or plain text for the default command. */
  text: string
  /** A prompt from the caller's own config (GitHub), run as `command` without command parsing. */
  direct?: { command: string, prompt: string }
  /** Idempotency keys from signed material. */
  keys: string[]
  reply?: { scheme: PlatformScheme, target: ReplyTarget }
  /** Deliveries the run owes when it is final. */
  deliveries: DeliveryChannel[]
  ip: string
  /** Where the message came from when it was not the caller's own webhook (kept with the run, audited). */
  via?: RunRequest['via']
}

export type Outcome =
  | { kind: 'accepted', run: RunState, token: string }
  | { kind: 'replayed', run: RunState }
  | { kind: 'notice', notice: Notice }
  /** Already audited. `error` is the HTTP error for generic callers; `retryAfter` in seconds. */
  | { kind: 'refused', error: FastifyError & { retryAfter?: number }, reason: string }

export interface DispatchHooks {
  /** Writes an audit record; throws OverloadedError (503) when the log cannot be written. */
  record (entry: Record<string, unknown> & { event: string }): void
  /** The per-caller limit: null when allowed, else the seconds until it is. */
  limit (): Promise<number | null>
  /** Counts what became of a message (metrics); called once per message, after its audit record. */
  count (outcome: RequestOutcome): void
}

export async function dispatch (gateway: Gateway, m: Message, hooks: DispatchHooks): Promise<Outcome> {
  const outcome = await decide(gateway, m, hooks)
  hooks.count(outcome.kind === 'refused' ? refusalOutcome(outcome.reason, outcome.error) : { outcome: outcome.kind, reason: '' })
  return outcome
}

async function decide (gateway: Gateway, m: Message, hooks: DispatchHooks): Promise<Outcome> {
  const refuse = (reason: string, error: FastifyError & { retryAfter?: number }): Outcome => {
    hooks.record({ event: 'rejected', caller: m.caller, user: m.user, reason, ip: m.ip })
    return { kind: 'refused', error, reason }
  }

  let replay: RunState | null
  try {
    replay = await gateway.registry.findReplay(m.keys)
  } catch (error) {
    return refuse('unavailable', Object.assign(new OverloadedError(`store unavailable: ${(error as Error).message}`), { retryAfter: 5 }))
  }
  if (replay !== null) {
    hooks.record({ event: 'rejected', caller: m.caller, user: m.user, run: replay.id, reason: 'replayed' })
    return { kind: 'replayed', run: replay }
  }

  const wait = await hooks.limit()
  if (wait !== null) return refuse('caller_rate_limited', Object.assign(new RateLimitedError(wait), { retryAfter: wait }))

  const picked = m.direct !== undefined ? { kind: 'none' as const, text: m.text } : pickProject(gateway.config, m.caller, m.text)
  if (picked.kind === 'refused') return refuse(`policy: ${picked.rule}`, new PolicyDeniedError(picked.rule))
  const project = picked.kind === 'picked' ? picked.project : gateway.config.callers[m.caller]?.projects?.[0] ?? null
  const conversation = gateway.conversationKey({ caller: m.caller, user: m.user, thread: m.thread, project })
  const decision = m.direct !== undefined
    ? gateway.policy.resolveDirect(m.caller, m.direct.command, m.direct.prompt)
    : gateway.policy.resolve(m.caller, picked.text)
  switch (decision.kind) {
    case 'denied':
      return refuse(`policy: ${decision.rule}`, new PolicyDeniedError(decision.rule))
    case 'builtin': {
      const ctx = { gateway, caller: m.caller, user: m.user }
      switch (decision.name) {
        case 'confirm': {
          const pending = await gateway.confirmations.take({ caller: m.caller, user: m.user }, decision.args.trim())
          if (pending === null) return refuse('policy: confirm', new PolicyDeniedError('confirm (unknown, expired or already used code)'))
          // The confirmed run answers where the confirming message came from.
          return accept(gateway, { ...pending.request, ...(m.reply !== undefined ? { reply: m.reply } : {}) }, [...m.keys, ...pending.idempotencyKeys], m, refuse)
        }
        case 'allow':
        case 'deny':
          return answerPermission(gateway, m, decision.name, decision.args.trim(), refuse)
        case 'help': return { kind: 'notice', notice: helpNotice(ctx) }
        case 'status': return { kind: 'notice', notice: await statusNotice(ctx) }
        case 'cancel': return { kind: 'notice', notice: await cancelNotice(ctx, decision.args) }
        case 'new': return { kind: 'notice', notice: await newSessionNotice(ctx, conversation) }
      }
      break
    }
    case 'run': {
      const request: RunRequest = {
        caller: m.caller,
        user: m.user,
        thread: m.thread,
        command: decision.command,
        prompt: decision.prompt,
        tools: decision.tools,
        ...(project !== null ? { project } : {}),
        sessionKey: conversation,
        ...(m.reply !== undefined ? { reply: m.reply } : {}),
        ...(m.via !== undefined ? { via: m.via } : {})
      }
      const steered = await steerIntoActiveRun(gateway, m, decision.prompt, picked.text, conversation, hooks)
      if (steered !== null) return steered
      if (decision.needsConfirm) {
        const { code, expires_at: expiresAt } = await gateway.confirmations.create({ caller: m.caller, user: m.user }, { request, idempotencyKeys: m.keys })
        return {
          kind: 'notice',
          notice: {
            kind: 'confirm_required',
            message: `/${decision.command} ${decision.args} needs confirmation: send /confirm ${code} within 5 minutes.`,
            confirm: { code, expires_at: expiresAt }
          }
        }
      }
      return accept(gateway, request, m.keys, m, refuse)
    }
  }
  throw new Error('unreachable')
}

async function accept (
  gateway: Gateway,
  request: RunRequest,
  keys: string[],
  m: Message,
  refuse: (reason: string, error: FastifyError & { retryAfter?: number }) => Outcome
): Promise<Outcome> {
  const result = await gateway.registry.accept(request, keys, request.reply !== undefined ? m.deliveries : m.deliveries.filter((c) => c !== 'reply'))
  switch (result.kind) {
    case 'overloaded':
      return refuse('overloaded', Object.assign(new OverloadedError(result.reason), { retryAfter: 5 }))
    case 'unavailable':
      return refuse('unavailable', Object.assign(new OverloadedError('The gateway cannot record new runs right now'), { retryAfter: 5 }))
    case 'replayed':
      return { kind: 'replayed', run: result.run }
    case 'accepted':
      gateway.deliveries.track(result.run, request.reply !== undefined ? m.deliveries : m.deliveries.filter((c) => c !== 'reply'))
      return { kind: 'accepted', run: result.run, token: result.token }
  }
}
