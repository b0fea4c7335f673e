// What became of a webhook request, as `hookgate_requests_total` counts it. The reason comes from
// the audit log's vocabulary (verify reasons, `forbidden_user`, `policy: <rule>`, …) cut at its first
// ':', so the label only ever takes a fixed set of values whatever the request contained.

export const REQUEST_OUTCOMES = ['verified', 'rejected', 'rate_limited', 'policy_denied', 'overloaded', 'replayed', 'notice', 'accepted'] as const
export type RequestOutcomeName = (typeof REQUEST_OUTCOMES)[number]

export interface RequestOutcome {
  outcome: RequestOutcomeName
  /** The audit reason's stable head, or '' where the audit log has none. */
  reason: string
}

const LABEL = /^[A-Za-z0-9_]{1,64}$/

/** `policy: deploy` → `policy`; anything that is not a plain identifier → `other`. */
export function reasonLabel (auditReason: string): string {
  const head = (auditReason.split(':', 1)[0] ?? '').trim()
  return LABEL.test(head) ? head : 'other'
}

/**
 * A refusal, from its audit reason and the error the client gets: the status decides between a rate
 * limit, an overload and a plain rejection, so every route and platform classify the same way.
 */
export function refusalOutcome (auditReason: string, error?: { statusCode?: number, code?: string }): RequestOutcome {
  const reason = reasonLabel(auditReason)
  if (reason === 'replayed') return { outcome: 'replayed', reason }
  if (error?.statusCode === 429) return { outcome: 'rate_limited', reason }
  if (error?.statusCode === 503) return { outcome: 'overloaded', reason }
  if (error?.code === 'HOOKGATE_POLICY_DENIED') return { outcome: 'policy_denied', reason }
  return { outcome: 'rejected', reason }
}
