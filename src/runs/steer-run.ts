// A steering message for a run (POST /v1/runs/{id}/messages): into the running agent
// when it reads messages, else as the conversation's next turn: a new run with the same caller,
// user, thread, command, tools and project, which waits for this one (same session key) and then
// continues its session.
import { ConflictError, OverloadedError, PolicyDeniedError } from '../errors.ts'
import type { Gateway } from '../gateway.ts'
import type { Run } from '../schemas/run.ts'
import type { RunState } from './run-state.ts'

export interface SteerResult {
  delivered: 'live' | 'queued'
  message: string
  run: Run
}

export async function steerRun (gateway: Gateway, run: RunState, text: string): Promise<SteerResult> {
  if (run.isFinal) throw new ConflictError(`Run ${run.id} has already finished (${run.status}): send a new request instead`)
  // The same policy as a request: block patterns, the prompt limit and the command's argument rules.
  const decision = gateway.policy.resolveFollowUp(run.request.caller, run.request.command, text)
  if (decision.kind === 'denied') throw new PolicyDeniedError(decision.rule)
  const prompt = decision.kind === 'run' ? decision.prompt : text
  const who = { caller: run.request.caller, user: run.request.user, run: run.id }

  if (await gateway.steerLive(run.id, prompt)) {
    gateway.deps.audit.append({ event: 'steered', ...who, ...gateway.auditedPrompt(prompt) })
    return { delivered: 'live', message: `Delivered into the running session of ${run.id}; its answer includes the reply.`, run: run.snapshot() }
  }

  const deliveries = [
    ...(run.request.reply !== undefined ? ['reply' as const] : []),
    ...(gateway.config.callers[run.request.caller]?.callback !== undefined ? ['callback' as const] : [])
  ]
  const result = await gateway.registry.accept({ ...run.request, prompt }, [], deliveries)
  if (result.kind === 'overloaded' || result.kind === 'unavailable') {
    throw Object.assign(new OverloadedError(result.reason), { retryAfter: 5 })
  }
  if (result.kind === 'replayed') throw new ConflictError('This message was already queued')
  gateway.deliveries.track(result.run, deliveries)
  gateway.deps.audit.append({ event: 'steered', ...who, queued_as: result.run.id, ...gateway.auditedPrompt(prompt) })
  const continues = run.request.sessionKey != null && gateway.config.callers[run.request.caller]?.sessions !== false
  return {
    delivered: 'queued',
    message: continues
      ? `${run.id} cannot take messages while it runs; queued as the next turn ${result.run.id}, which continues the conversation when ${run.id} ends.`
      : `${run.id} cannot take messages while it runs and has no conversation to continue; queued as a new run ${result.run.id}.`,
    run: { ...result.run.snapshot(), token: result.token }
  }
}
