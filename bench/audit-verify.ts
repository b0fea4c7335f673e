// Audit log figures (a bench: it prints numbers, it asserts nothing). Run:
//   node bench/audit-verify.ts [RECORDS]
// 1. Builds a RECORDS-record log (default 10,000) over about ten rotated files in a temp directory
//    and times the verifier in-process and as `hookgate audit verify` (goal: 10,000 records in ≤ 2 s).
// 2. Measures append throughput without fdatasync, with fdatasync on every record, and with the
//    default policy (lifecycle records synced) on a realistic mix of events.
// The directory is on the same file system as os.tmpdir(); fdatasync figures depend entirely on it.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AuditLog, type AuditEntry, type AuditEventName } from '../src/audit/audit-log.ts'
import { EVENT_NAMES } from '../src/audit/record.ts'
import { resolveTarget } from '../src/audit/verify-target.ts'
import { verifyAuditLog } from '../src/audit/verify.ts'

const BIN = fileURLToPath(new URL('../bin/hookgate.js', import.meta.url))
const RECORDS = Number(process.argv[2] ?? 10_000)

function record (i: number, event: AuditEventName = 'request'): AuditEntry {
  return { event, caller: 'ci', user: `U${i % 500}`, run: event === 'request' ? null : `run_${i.toString(36)}`, ip: `10.0.${i % 256}.${i % 199}`, command: 'run', prompt_chars: i % 4000 }
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function fmt (ms: number): string {
  return `${ms.toFixed(1)} ms`
}

function scratch (): string {
  return mkdtempSync(join(tmpdir(), 'hookgate-bench-audit-'))
}

function buildLog (dir: string): { files: number, bytes: number } {
  // Size the rotation so the log spans ten rotated files plus the live one.
  const probe = scratch()
  const sample = new AuditLog(probe, Date.now, { durableEvents: new Set() })
  for (let i = 0; i < 200; i++) sample.append(record(i))
  sample.close()
  const perRecord = statSync(join(probe, 'audit.jsonl')).size / 200
  rmSync(probe, { recursive: true, force: true })
  const log = new AuditLog(dir, Date.now, { rotateBytes: Math.floor(perRecord * RECORDS / 10.5), durableEvents: new Set() })
  for (let i = 0; i < RECORDS; i++) log.append(record(i))
  log.close()
  const result = verifyAuditLog(resolveTarget(dir))
  if (!result.ok) throw new Error(`the bench log does not verify: ${JSON.stringify(result.problem)}`)
  return { files: result.files.length, bytes: result.files.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0) }
}

/** Appends for about `ms` milliseconds (at least 20 records); records per second. */
function throughput (durable: ReadonlySet<AuditEventName>, events: readonly AuditEventName[], ms: number): number {
  const dir = scratch()
  try {
    const log = new AuditLog(dir, Date.now, { durableEvents: durable })
    for (let i = 0; i < 200; i++) log.append(record(i, 'request'))
    const start = performance.now()
    let n = 0
    while (n < 20 || performance.now() - start < ms) {
      for (let k = 0; k < 10; k++, n++) log.append(record(n, events[n % events.length]))
    }
    const elapsed = performance.now() - start
    log.close()
    return n / elapsed * 1000
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const dir = scratch()
try {
  const built = buildLog(dir)
  console.log(`log: ${RECORDS} records (+ rotation records), ${built.files} files (${built.files - 1} rotated), ${(built.bytes / 1024 / 1024).toFixed(2)} MiB in ${dir}`)

  const inProcess: number[] = []
  for (let i = 0; i < 7; i++) {
    const start = performance.now()
    verifyAuditLog(resolveTarget(dir))
    inProcess.push(performance.now() - start)
  }
  console.log(`verify (in-process): median ${fmt(median(inProcess))}, first ${fmt(inProcess[0]!)}, best ${fmt(Math.min(...inProcess))}`)

  const cli: number[] = []
  let output = ''
  for (let i = 0; i < 3; i++) {
    const start = performance.now()
    output = execFileSync(process.execPath, [BIN, 'audit', 'verify', dir], { encoding: 'utf8' })
    cli.push(performance.now() - start)
  }
  console.log(`verify (hookgate audit verify, whole process): median ${fmt(median(cli))}  → ${output.trim()}`)
  console.log(`goal: ${RECORDS === 10_000 ? '10,000 records' : `${RECORDS} records`} in ≤ 2000 ms: ${median(cli) <= 2000 ? 'met' : 'NOT met'}`)

  const none = throughput(new Set(), ['request'], 1000)
  const every = throughput(new Set(EVENT_NAMES), ['request'], 2000)
  // A run's typical records: request, accepted, started, finished, plus rejections in between.
  const mix: AuditEventName[] = ['request', 'accepted', 'started', 'request', 'rejected', 'finished']
  const lifecycle = throughput(new Set(['accepted', 'started', 'finished', 'cancelled', 'interrupted', 'config']), mix, 2000)
  console.log(`append, no fdatasync:                 ${Math.round(none).toLocaleString('en')} records/s (${(1000 / none).toFixed(3)} ms each)`)
  console.log(`append, fdatasync every record:       ${Math.round(every).toLocaleString('en')} records/s (${(1000 / every).toFixed(3)} ms each)`)
  console.log(`append, default (lifecycle synced), mix of 6 with 3 synced: ${Math.round(lifecycle).toLocaleString('en')} records/s`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
