// The conservation invariant for a gateway whose store is `memory` (no database file to count): the
// runs the audit log accepted, recounted from it, against the runs the gateway itself lists
// (GET /v1/runs with the admin token), status by status and run by run; and `hookgate audit verify`.
// Call it when the gateway is idle: a run between two writes may briefly differ between the two.
import { expect } from 'vitest'
import { auditStatuses, readAudit, STATUSES, type Counts } from '../helpers/conservation.ts'
import { auditVerify, listAllRuns, type GatewayProcess } from '../helpers/gateway-process.ts'

export async function expectApiBooksBalance (gw: GatewayProcess): Promise<{ audit: Counts, api: Counts }> {
  const audit = auditStatuses(readAudit(gw.stateDir))
  const listed = await listAllRuns(gw.url)
  const count = (statuses: Iterable<string>): Counts => {
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Counts
    for (const s of statuses) if (s in counts) counts[s as keyof Counts]++
    return counts
  }
  const books = { audit: count(audit.byRun.values()), api: count(listed.map((r) => String(r.status))) }
  const problems = [...audit.problems]
  const byId = new Map(listed.map((r) => [String(r.id), String(r.status)]))
  for (const [id, status] of audit.byRun) {
    if (!byId.has(id)) problems.push(`run ${id}: accepted in the audit log, not listed by the gateway`)
    else if (byId.get(id) !== status) problems.push(`run ${id}: ${byId.get(id)} by the gateway, ${status} by the audit log`)
  }
  for (const id of byId.keys()) if (!audit.byRun.has(id)) problems.push(`run ${id}: listed by the gateway, never accepted in the audit log`)
  expect.soft(problems, `conservation: audit ${JSON.stringify(books.audit)} / gateway ${JSON.stringify(books.api)}`).toEqual([])
  const verify = await auditVerify(gw)
  expect.soft({ code: verify.code, out: (verify.stdout + verify.stderr).trim().slice(0, 600) }, 'hookgate audit verify').toMatchObject({ code: 0 })
  return books
}
