// Shared pieces of the reliability tests (not a test file itself).
import { expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import { conservationReport, readAudit, type AuditRecord, type ConservationReport } from '../helpers/conservation.ts'
import {
  adminGet, agentsAlive, auditVerify, descendantsAlive, spawnRecords, sleep,
  type GatewayProcess, type MarkedProcess, type SpawnRecord
} from '../helpers/gateway-process.ts'

export const FINAL = ['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted']

/** A small seeded PRNG (mulberry32), so a failing chaos schedule can be replayed with HOOKGATE_CHAOS_SEED. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A request body whose bytes are unique (a nonce), with the chaos knobs in the text. */
export function body (text: string, extra: Record<string, string> = {}): string {
  return JSON.stringify({ text: `${text} nonce=${randomBytes(4).toString('hex')}`, user: 'rel', ...extra })
}

export async function getRun (url: string, id: string): Promise<{ status: number, run: Record<string, any> | null }> {
  const { status, body } = await adminGet(url, `/v1/runs/${id}`)
  return { status, run: status === 200 ? body as Record<string, any> : null }
}

/** Run ids whose agent (or anything it started) is still alive, by HOOKGATE_RUN_ID and by the gateway's CHAOS_TAG. */
export function survivors (gw: GatewayProcess, runIds: Iterable<string>): { byRunId: MarkedProcess[], byTag: MarkedProcess[] } {
  return { byRunId: descendantsAlive(runIds), byTag: agentsAlive(gw) }
}

/** Polls up to `ms` for no survivors; returns what is left (empty lists when none). */
export async function waitNoSurvivors (gw: GatewayProcess, runIds: Iterable<string>, ms: number): Promise<{ byRunId: MarkedProcess[], byTag: MarkedProcess[] }> {
  const ids = [...runIds]
  const deadline = Date.now() + ms
  for (;;) {
    const left = survivors(gw, ids)
    if ((left.byRunId.length === 0 && left.byTag.length === 0) || Date.now() >= deadline) return left
    await sleep(50)
  }
}

/**
 * Every agent started for this directory was on record when it started: its HOOKGATE_RUN_ID was set,
 * the audit log already had the run's `accepted` line and the database its row; and no run was spawned twice.
 */
export function checkSpawns (gw: GatewayProcess, accepted: Set<string>): { spawns: SpawnRecord[], problems: string[] } {
  const spawns = spawnRecords(gw)
  const problems: string[] = []
  const seen = new Map<string, number>()
  for (const s of spawns) {
    if (s.run === null) { problems.push(`agent ${s.pid} ("${s.prompt.slice(0, 60)}") started without HOOKGATE_RUN_ID`); continue }
    seen.set(s.run, (seen.get(s.run) ?? 0) + 1)
    if (!accepted.has(s.run)) problems.push(`agent ${s.pid} of run ${s.run}: the run was never accepted in the audit log`)
    if (s.audit_accepted !== true) problems.push(`agent ${s.pid} of run ${s.run}: no audit \`accepted\` line when it started`)
    if (s.db_row === null) problems.push(`agent ${s.pid} of run ${s.run}: no database row when it started (${s.db_error ?? 'row missing'})`)
  }
  for (const [run, n] of seen) if (n > 1) problems.push(`run ${run} was spawned ${n} times`)
  return { spawns, problems }
}

export function acceptedRuns (records: AuditRecord[]): Set<string> {
  return new Set(records.filter((r) => r.event === 'accepted' && typeof r.run === 'string').map((r) => r.run as string))
}

/** The end of every reliability test: conservation from both sources, the spawn records, and `hookgate audit verify`. */
export async function expectBooksBalance (gw: GatewayProcess): Promise<ConservationReport | null> {
  let problems: string[]
  let counts = ''
  let report: ConservationReport | null = null
  try {
    report = conservationReport(gw.stateDir)
    problems = report.problems
    counts = `db ${JSON.stringify(report.db.counts)} / audit ${JSON.stringify(report.audit.counts)}`
  } catch (err) {
    problems = [(err as Error).message]
  }
  expect.soft(problems, `conservation ${counts}`).toEqual([])
  let accepted = new Set<string>()
  try { accepted = acceptedRuns(readAudit(gw.stateDir)) } catch {}
  expect.soft(checkSpawns(gw, accepted).problems, 'every agent was on record when it started').toEqual([])
  const verify = await auditVerify(gw)
  expect.soft({ code: verify.code, out: (verify.stdout + verify.stderr).trim().slice(0, 600) }, 'hookgate audit verify').toMatchObject({ code: 0 })
  return report
}

export function describeProcesses (list: MarkedProcess[]): string[] {
  return list.map((p) => `${p.pid} ${p.value}: ${p.cmdline.slice(0, 120)}`)
}
