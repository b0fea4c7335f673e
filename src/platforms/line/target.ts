// The reply target parse.ts stores with each run, read back at delivery time. It was written by
// us, but it comes from storage: anything unexpected is a delivery that retrying cannot fix.
import { DeliveryError } from '../../delivery/outbound.ts'
import type { ReplyTarget } from '../adapter.ts'

export interface LineTarget {
  replyToken: string | null
  receivedAt: number
  to: string
  chat: 'user' | 'group' | 'room'
}

export function readLineTarget (target: ReplyTarget): LineTarget {
  const { replyToken, receivedAt, to, chat } = target
  if ((replyToken !== null && typeof replyToken !== 'string') ||
    typeof receivedAt !== 'number' || !Number.isFinite(receivedAt) ||
    typeof to !== 'string' || to === '' ||
    (chat !== 'user' && chat !== 'group' && chat !== 'room')) {
    throw new DeliveryError('line: the reply target is malformed', { retryable: false })
  }
  return { replyToken, receivedAt, to, chat }
}

export function lineApi (ctx: { caller: { reply?: { api_base?: string, token?: string } } }): { base: string, authorization: string } {
  const token = ctx.caller.reply?.token
  if (token === undefined || token === '') throw new DeliveryError('line: reply.token is not configured', { retryable: false })
  return {
    base: (ctx.caller.reply?.api_base ?? 'https://api.line.me').replace(/\/+$/, ''),
    authorization: `Bearer ${token}`
  }
}
