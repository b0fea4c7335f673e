// "Nothing lost, nothing doubled": every accepted run is accounted for exactly once,
//
//   accepted == succeeded + failed + timed_out + cancelled + interrupted + queued + running
//
// counted from the database (<state_dir>/hookgate.db, opened read-only) and, independently, from the
// audit log (<state_dir>/audit.jsonl and rotated audit.NNNNNN.jsonl files), and the two counts agree
// status by status (and, when the database has run ids, run by run). Call it when the gateway is idle
// or stopped: a run that is between two writes may briefly differ between the two sources.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

export const STATUSES = ['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted', 'queued', 'running'] as const
export type Status = typeof STATUSES[number]
export type Counts = Record<Status, number>

export interface AuditRecord {
  seq: number
  event: string
  run?: string | null
  status?: string
  reason?: string
  [key: string]: unknown
  /** The file it came from. */
  file: string
}

export interface ConservationReport {
  db: { counts: Counts, total: number, byRun: Map<string, string> | null, other: Record<string, number> }
  audit: { accepted: number, counts: Counts, byRun: Map<string, Status> }
  /** Everything wrong, one line each; empty when the invariant holds. */
  problems: string[]
}

function zero (): Counts {
  return { succeeded: 0, failed: 0, timed_out: 0, cancelled: 0, interrupted: 0, queued: 0, running: 0 }
}

const sum = (c: Counts): number => STATUSES.reduce((n, s) => n + c[s], 0)

/** Every record of every audit file in the state directory, in `seq` order. */
export function readAudit (stateDir: string): AuditRecord[] {
  const files = readdirSync(stateDir).filter((n) => /^audit(\.\d+)?\.jsonl$/.test(n))
  const records: AuditRecord[] = []
  for (const file of files) {
    const lines = readFileSync(join(stateDir, file), 'utf8').split('\n')
    lines.forEach((line, i) => {
      if (line.trim() === '') return
      try {
        records.push({ ...JSON.parse(line) as AuditRecord, file })
      } catch {
        throw new Error(`${file}:${i + 1} is not JSON: ${JSON.stringify(line.slice(0, 200))}`)
      }
    })
  }
  return records.sort((a, b) => a.seq - b.seq)
}

/** Status of every run by the audit log: the final record's, else running (started) or queued. */
export function auditStatuses (records: AuditRecord[]): { accepted: Set<string>, byRun: Map<string, Status>, problems: string[] } {
  const accepted = new Set<string>()
  const started = new Set<string>()
  const finals = new Map<string, Status[]>()
  const problems: string[] = []
  for (const r of records) {
    const run = typeof r.run === 'string' ? r.run : null
    if (run === null) continue
    switch (r.event) {
      case 'accepted':
        if (accepted.has(run)) problems.push(`audit: run ${run} accepted twice (seq ${r.seq})`)
        accepted.add(run)
        break
      case 'started':
        if (!accepted.has(run)) problems.push(`audit: run ${run} started (seq ${r.seq}) without an earlier accepted record`)
        if (started.has(run)) problems.push(`audit: run ${run} started twice (seq ${r.seq})`)
        started.add(run)
        break
      case 'finished':
      case 'cancelled':
      case 'interrupted': {
        const status = (r.event === 'finished' ? r.status : r.event) as Status
        if (r.event === 'finished' && !['succeeded', 'failed', 'timed_out'].includes(String(r.status))) {
          problems.push(`audit: finished record of ${run} (seq ${r.seq}) has status ${JSON.stringify(r.status)}`)
        }
        if (!accepted.has(run)) problems.push(`audit: run ${run} ${r.event} (seq ${r.seq}) without an earlier accepted record`)
        finals.set(run, [...(finals.get(run) ?? []), status])
        break
      }
    }
  }
  const byRun = new Map<string, Status>()
  for (const run of accepted) {
    const f = finals.get(run) ?? []
    if (f.length > 1) problems.push(`audit: run ${run} has ${f.length} final records (${f.join(', ')})`)
    byRun.set(run, f.length > 0 ? f.at(-1)! : started.has(run) ? 'running' : 'queued')
  }
  return { accepted, byRun, problems }
}

/** Runs by status from the database, and by id when the table has an id column. */
export function dbStatuses (stateDir: string): { counts: Record<string, number>, byRun: Map<string, string> | null } {
  const path = join(stateDir, 'hookgate.db')
  if (!existsSync(path)) throw new Error(`no database at ${path} (files: ${readdirSync(stateDir).join(', ')})`)
  const db = new DatabaseSync(path, { readOnly: true, timeout: 5000 })
  try {
    const columns = (db.prepare("SELECT name FROM pragma_table_info('runs')").all() as Array<{ name: string }>).map((c) => c.name)
    if (columns.length === 0) {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name)
      throw new Error(`${path} has no table "runs" (tables: ${tables.join(', ')})`)
    }
    if (!columns.includes('status')) throw new Error(`table runs has no column "status" (columns: ${columns.join(', ')})`)
    const counts: Record<string, number> = {}
    for (const row of db.prepare('SELECT status, COUNT(*) AS n FROM runs GROUP BY status').all() as Array<{ status: string, n: number }>) {
      counts[row.status] = Number(row.n)
    }
    let byRun: Map<string, string> | null = null
    if (columns.includes('id')) {
      byRun = new Map((db.prepare('SELECT id, status FROM runs').all() as Array<{ id: string, status: string }>).map((r) => [r.id, r.status]))
    }
    return { counts, byRun }
  } finally {
    db.close()
  }
}

/** The invariant from both sources; `problems` lists every violation. */
export function conservationReport (stateDir: string): ConservationReport {
  const problems: string[] = []
  const audit = auditStatuses(readAudit(stateDir))
  problems.push(...audit.problems)
  const auditCounts = zero()
  for (const status of audit.byRun.values()) auditCounts[status]++
  if (audit.accepted.size !== sum(auditCounts)) problems.push(`audit: ${audit.accepted.size} accepted but ${sum(auditCounts)} accounted for`)

  const db = dbStatuses(stateDir)
  const dbCounts = zero()
  const other: Record<string, number> = {}
  let dbTotal = 0
  for (const [status, n] of Object.entries(db.counts)) {
    dbTotal += n
    if ((STATUSES as readonly string[]).includes(status)) dbCounts[status as Status] += n
    else other[status] = n
  }
  // `starting` (written before spawn) counts as running.
  if (other.starting !== undefined) { dbCounts.running += other.starting; delete other.starting }
  for (const [status, n] of Object.entries(other)) problems.push(`db: ${n} run(s) with unknown status ${JSON.stringify(status)}`)

  if (dbTotal !== audit.accepted.size) problems.push(`accepted: ${audit.accepted.size} in the audit log, ${dbTotal} runs in the database`)
  for (const s of STATUSES) {
    if (dbCounts[s] !== auditCounts[s]) problems.push(`${s}: ${dbCounts[s]} in the database, ${auditCounts[s]} by the audit log`)
  }
  if (db.byRun !== null) {
    for (const [id, status] of audit.byRun) {
      const inDb = db.byRun.get(id)
      if (inDb === undefined) problems.push(`run ${id}: accepted in the audit log, missing from the database`)
      else if ((inDb === 'starting' ? 'running' : inDb) !== status) problems.push(`run ${id}: ${inDb} in the database, ${status} by the audit log`)
    }
    for (const id of db.byRun.keys()) {
      if (!audit.byRun.has(id)) problems.push(`run ${id}: in the database, never accepted in the audit log`)
    }
  }
  return {
    db: { counts: dbCounts, total: dbTotal, byRun: db.byRun, other },
    audit: { accepted: audit.accepted.size, counts: auditCounts, byRun: audit.byRun },
    problems
  }
}

/** Throws, listing every violation and both counts, unless the invariant holds. */
export function assertConservation (stateDir: string): ConservationReport {
  const report = conservationReport(stateDir)
  if (report.problems.length > 0) {
    throw new Error(`conservation violated in ${stateDir}:\n  ${report.problems.slice(0, 40).join('\n  ')}` +
      `${report.problems.length > 40 ? `\n  … and ${report.problems.length - 40} more` : ''}` +
      `\n  db: ${JSON.stringify(report.db.counts)}\n  audit: ${JSON.stringify(report.audit.counts)} (accepted ${report.audit.accepted})`)
  }
  return report
}
