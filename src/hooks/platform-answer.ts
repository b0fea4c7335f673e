// Answers a verified request from a platform caller: the adapter reads the payload,
// each message goes through the same dispatch as every caller (users → replay → limit → policy →
// run), and the adapter turns the outcomes into the platform's own answer, inside its deadline.
// Results come later through the delivery service, except when a run finishes within the
// adapter's short `syncWaitMs` (Twilio, Teams): then the answer carries it.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Gateway } from '../gateway.ts'
import type { InboundMessage, InboundRequest, PlatformAdapter, PlatformScheme, Reaction } from '../platforms/adapter.ts'
import { adapterFor } from '../platforms/index.ts'
import { BadRequestError, ForbiddenUserError } from '../errors.ts'
import { planParts } from '../delivery/plan-parts.ts'
import { resultText } from '../delivery/result-text.ts'
import { dispatch, type DispatchHooks, type Outcome } from './dispatch.ts'
import { refusalOutcome } from '../metrics/request-outcome.ts'

export interface PlatformAnswerContext {
  gateway: Gateway
  scheme: PlatformScheme
  rawBody: Buffer
  /** Key from the verified signature (Slack, Discord: signed timestamp and body), or null. */
  replayKey: string | null
  hooks: DispatchHooks
}

/**
 * Platforms where a failed request can come back (LINE and Telegram redeliver on their own; GitHub
 * lists it as failed, to redeliver from the hook's settings): a busy gateway answers 503 rather
 * than pretending it took the message.
 */
const REDELIVERS: ReadonlySet<PlatformScheme> = new Set(['line', 'telegram', 'github'])

export async function answerPlatform (request: FastifyRequest, reply: FastifyReply, ctx: PlatformAnswerContext): Promise<FastifyReply> {
  const { gateway, scheme, hooks } = ctx
  const callerId = (request.params as { caller: string }).caller
  const caller = gateway.config.callers[callerId]!
  const adapter = adapterFor(scheme)
  const inbound: InboundRequest = { rawBody: ctx.rawBody, headers: request.headers, callerId, caller, now: gateway.deps.now() }
  const started = performance.now()

  const parsed = adapter.parse(inbound)
  if (parsed.kind === 'invalid') {
    request.auditedRejection = true
    hooks.record({ event: 'rejected', caller: callerId, reason: `invalid_payload: ${parsed.reason}`, ip: request.ip })
    const error = new BadRequestError(`not a ${scheme} payload this gateway understands (${parsed.reason})`)
    hooks.count(refusalOutcome('invalid_payload', error))
    throw error
  }
  if (parsed.kind === 'ignore') {
    hooks.record({ event: 'rejected', caller: callerId, reason: `ignored: ${parsed.reason}`, ip: request.ip })
    // Answered as the platform expects (a ping, an event without a message): not a refusal of anyone.
    hooks.count({ outcome: 'notice', reason: 'ignored' })
    return send(reply, parsed.answer ?? adapter.answer([], inbound))
  }

  const reactions: Reaction[] = []
  for (const message of parsed.messages) {
    const reaction = await react(request, ctx, adapter, inbound, message)
    if (reaction.kind === 'refused' && 'httpError' in reaction) {
      request.auditedRejection = true
      throw reaction.httpError
    }
    reactions.push(reaction)
  }

  // Results that finish inside the platform's window go in the answer itself (one shared budget
  // for all messages of the request, measured from its arrival).
  if (adapter.syncWaitMs > 0) {
    for (const [i, r] of reactions.entries()) {
      if (r.kind !== 'accepted') continue
      const run = await gateway.registry.get(r.run.id)
      if (run === null) continue
      await gateway.registry.waitFinished(run, adapter.syncWaitMs - (performance.now() - started))
      if (run.settled && gateway.deliveries.claimForAnswer(run.id)) {
        const snapshot = run.snapshot()
        const parts = planParts(resultText(snapshot), adapter.limits, { link: gateway.links.linkFor(run.id), runId: run.id })
        reactions[i] = { kind: 'finished', run: snapshot, parts }
        void gateway.deliveries.recordAnswered(run.id, adapter.partsInAnswer?.(parts) ?? parts.length, parts.length)
      }
    }
  }
  return send(reply, adapter.answer(reactions, inbound))
}

type Reacted = Reaction | { kind: 'refused', text: string, httpError: Error }

async function react (request: FastifyRequest, ctx: PlatformAnswerContext, adapter: PlatformAdapter, inbound: InboundRequest, m: InboundMessage): Promise<Reacted> {
  const { gateway, scheme, hooks } = ctx
  const { callerId, caller } = inbound
  if (!userAllowed(scheme, caller.users ?? [], m.user)) {
    hooks.record({ event: 'rejected', caller: callerId, user: m.user, reason: 'forbidden_user', ip: request.ip })
    hooks.count(refusalOutcome('forbidden_user'))
    // GitHub shows the status in its delivery log; a chat user gets a polite word, a stranger on
    // LINE (whose answers nobody sees) nothing at all.
    if (scheme === 'github') return { kind: 'refused', text: '', httpError: new ForbiddenUserError() }
    const text = 'Sorry, you are not allowed to use this bot. Ask its owner to add your user id.'
    if (scheme !== 'line' && !shows(adapter, inbound)) gateway.deliveries.sendNotice(callerId, adapter, m.target, text, m.user)
    return { kind: 'refused', text }
  }

  const outcome: Outcome = await dispatch(gateway, {
    caller: callerId,
    user: m.user,
    thread: m.thread,
    text: m.text,
    ...(m.direct !== undefined ? { direct: m.direct } : {}),
    keys: [`evt:${callerId}:${m.eventId}`, ...(ctx.replayKey !== null ? [`sig:${callerId}:${ctx.replayKey}`] : [])],
    reply: { scheme, target: m.target },
    deliveries: gateway.deliveries.channelsFor(caller, true),
    ip: request.ip
  }, hooks)

  switch (outcome.kind) {
    case 'accepted': return { kind: 'accepted', run: outcome.run.snapshot() }
    case 'replayed': return { kind: 'replayed', run: outcome.run.snapshot() }
    case 'notice': {
      const text = outcome.notice.message
      if (!shows(adapter, inbound)) gateway.deliveries.sendNotice(callerId, adapter, m.target, text, m.user)
      return { kind: 'notice', text }
    }
    case 'refused': {
      const status = outcome.error.statusCode ?? 500
      // A busy gateway on a platform that redelivers: fail the request, the message comes back.
      if (status === 503 && REDELIVERS.has(scheme)) return { kind: 'refused', text: '', httpError: outcome.error }
      const text = politeRefusal(outcome.error.code, outcome.error.message, outcome.error.retryAfter, scheme !== 'github')
      if (!shows(adapter, inbound)) gateway.deliveries.sendNotice(callerId, adapter, m.target, text, m.user)
      return { kind: 'refused', text }
    }
  }
}

function shows (adapter: PlatformAdapter, req: InboundRequest): boolean {
  return adapter.answerShows?.(req) ?? adapter.answerVisible
}

/** GitHub logins are case-insensitive; chat platforms' ids are opaque and compared exactly. */
function userAllowed (scheme: PlatformScheme, users: readonly string[], user: string): boolean {
  if (scheme !== 'github') return users.includes(user)
  const login = user.toLowerCase()
  return users.some((u) => u === '*' || u.toLowerCase() === login)
}

function politeRefusal (code: string, message: string, retryAfter: number | undefined, chat: boolean): string {
  switch (code) {
    case 'HOOKGATE_RATE_LIMITED': return `You are sending requests faster than allowed; try again in ${retryAfter ?? 60} s.`
    case 'HOOKGATE_OVERLOADED': return 'The agent is busy with other work right now; try again in a minute.'
    case 'HOOKGATE_POLICY_DENIED': return chat ? `${message}. Send /help to see what you can ask.` : message
    case 'HOOKGATE_NOT_FOUND': return message
    default: return 'That request could not be handled.'
  }
}

function send (reply: FastifyReply, answer: { status: number, headers?: Record<string, string>, body?: string }): FastifyReply {
  void reply.code(answer.status)
  for (const [name, value] of Object.entries(answer.headers ?? {})) void reply.header(name, value)
  return reply.send(answer.body ?? '')
}
