// Questions platform tests ask of a gateway's audit log, written once.
import { createHash } from 'node:crypto'
import type { PlatformGateway } from './platform-gateway.ts'

/** Ids of the runs accepted so far, in order. */
export function acceptedRuns (gw: PlatformGateway): string[] {
  return gw.audit().filter((r) => r.event === 'accepted').map((r) => String(r.run))
}

/** One run's audit trail as event names, deliveries with their status (`delivery:retrying`). */
export function runEvents (gw: PlatformGateway, run: string): string[] {
  return gw.audit().filter((r) => r.run === run).map((r) => r.event === 'delivery' ? `delivery:${String(r.status)}` : String(r.event))
}

/** Waits until the audit log has a record with all of `match`'s fields (e.g. a delivery outcome). */
export function auditOf (gw: PlatformGateway, match: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>> {
  return gw.waitForAudit((r) => Object.entries(match).every(([k, v]) => r[k] === v), timeoutMs)
}

/** The run whose prompt was `prompt` (the audit log keeps its hash). */
export function runFor (gw: PlatformGateway, prompt: string): string {
  const hash = createHash('sha256').update(prompt).digest('hex')
  const hit = gw.audit().find((r) => r.event === 'accepted' && r.prompt_sha256 === hash)
  if (hit === undefined) throw new Error(`no run for ${prompt}`)
  return String(hit.run)
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
