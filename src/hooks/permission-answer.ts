// `/allow ID` and `/deny ID` typed (or pressed as a button) in a chat, or sent by a generic caller:
// answered only for the user who started the run; the broker audits every decision and refusal.
import type { FastifyError } from 'fastify'
import { ConflictError, NotFoundError, PolicyDeniedError } from '../errors.ts'
import type { Gateway } from '../gateway.ts'
import { PERMISSION_ID } from '../platforms/permission-button.ts'
import type { Message, Outcome } from './dispatch.ts'


export async function answerPermission (
  gateway: Gateway,
  m: Message,
  name: 'allow' | 'deny',
  args: string,
  refuse: (reason: string, error: FastifyError & { retryAfter?: number }) => Outcome
): Promise<Outcome> {
  const pid = args.toLowerCase()
  if (!PERMISSION_ID.test(pid)) return refuse('not_found', new NotFoundError(`Send /${name} with the id from the permission request, e.g. /${name} k3m9tq`))
  const result = await gateway.answerPermission(pid, { allow: name === 'allow' }, { via: 'chat', caller: m.caller, user: m.user ?? '' })
  switch (result.kind) {
    case 'not_found':
      return refuse('not_found', new NotFoundError(`No permission request ${pid}`))
    case 'forbidden':
      return refuse('permission: not the asking user', new PolicyDeniedError('only the user who started the run can answer its permission requests'))
    case 'already': {
      const how = result.decision.via === 'timeout' ? 'it expired and was denied' : `it was already answered: ${result.decision.allow ? 'allowed' : 'denied'}`
      return refuse('permission: already decided', new ConflictError(`Permission request ${pid} can no longer be answered: ${how}.`))
    }
    case 'decided':
      return {
        kind: 'notice',
        notice: { kind: 'permission', message: `${name === 'allow' ? 'Allowed' : 'Denied'} ${result.pending.tool}${result.pending.summary === '' ? '' : ` (${result.pending.summary})`} for ${result.pending.runId}.` }
      }
  }
}
