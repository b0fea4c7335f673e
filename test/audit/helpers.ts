// Shared by the audit tests: building real logs with AuditLog, reading them back byte for byte,
// and the oracle that says where the first bad record of a mutated log is.
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { AuditLog, type AuditEntry } from '../../src/audit/audit-log.ts'
import { resolveTarget } from '../../src/audit/verify-target.ts'
import { verifyAuditLog, type VerifyOptions, type VerifyResult } from '../../src/audit/verify.ts'

export function tempStateDir (prefix = 'hookgate-audit-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const EVENTS: AuditEntry['event'][] = ['request', 'rejected', 'accepted', 'started', 'finished', 'permission', 'cancelled', 'interrupted']

/** A varied, realistic record: the i-th of a test log. */
export function entry (i: number): AuditEntry {
  const event = EVENTS[i % EVENTS.length]!
  return {
    event,
    caller: i % 5 === 0 ? null : `caller-${i % 3}`,
    user: i % 2 === 0 ? `U${i}` : null,
    run: event === 'request' || event === 'rejected' ? null : `run_${(i * 7919).toString(36)}`,
    ...(event === 'rejected' ? { reason: 'bad_signature' } : {}),
    ...(event === 'accepted' ? { prompt_chars: i % 97, prompt_sha256: (i * 31).toString(16).padStart(64, '0') } : {}),
    ip: `10.0.${i % 256}.${(i * 13) % 256}`
  }
}

/** Writes `count` records into a fresh log (no fdatasync: these tests are about the chain, not the disk). */
export function buildLog (dir: string, count: number, rotateBytes: number): void {
  const log = new AuditLog(dir, () => 1_790_000_000_000, { rotateBytes, durableEvents: new Set() })
  for (let i = 0; i < count; i++) log.append(entry(i))
  log.close()
}

export function verifyDir (path: string, options: VerifyOptions = {}): VerifyResult {
  return verifyAuditLog(resolveTarget(path), options)
}

/** The log files of a directory in chain order, each as its raw content (latin1: byte for byte). */
export interface Snapshot {
  files: Array<{ name: string, content: string }>
}

const ROTATED = /^audit\.[0-9]{6}\.jsonl$/

export function logFileNames (dir: string): string[] {
  const names = readdirSync(dir)
  return [...names.filter((n) => ROTATED.test(n)).sort(), ...names.filter((n) => n === 'audit.jsonl')]
}

export function snapshot (dir: string): Snapshot {
  return { files: logFileNames(dir).map((name) => ({ name, content: readFileSync(join(dir, name), 'latin1') })) }
}

/** Makes the directory's log files exactly those of `snap` (the key and the anchor are left alone). */
export function restore (dir: string, snap: Snapshot): void {
  for (const name of logFileNames(dir)) {
    if (!snap.files.some((f) => f.name === name)) unlinkSync(join(dir, name))
  }
  for (const file of snap.files) writeFileSync(join(dir, file.name), file.content, 'latin1')
}

/** Lines of a file's content; a last line without a newline is kept. */
export function linesOf (content: string): string[] {
  const lines = content.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines
}

interface Position {
  file: string
  line: number
  text: string
}

/** Every line of every file in order; an empty rotated file counts as one position that matches nothing. */
function positions (snap: Snapshot): Position[] {
  const out: Position[] = []
  for (const file of snap.files) {
    const lines = linesOf(file.content)
    if (lines.length === 0 && file.name !== 'audit.jsonl') out.push({ file: file.name, line: 1, text: '\u0000empty' })
    lines.forEach((text, i) => out.push({ file: file.name, line: i + 1, text: i === lines.length - 1 && !file.content.endsWith('\n') ? `${text}\u0000torn` : text }))
  }
  return out
}

/** The seq a line claims, read the way the verifier reports it for damaged lines. */
export function claimedSeq (text: string): number | null {
  const match = /^\{"seq":(\d{1,15})[,}]/.exec(text.slice(0, 32))
  return match === null ? null : Number(match[1])
}

/** The intact log's positions, computed once per snapshot (property tests compare against one original many times). */
const originalPositions = new WeakMap<Snapshot, Position[]>()

export interface ExpectedBreak {
  file: string
  line: number
  seq: number | null
  truncated: boolean
}

/**
 * Where the first bad record of `mutated` is, compared with the intact `original`: the first
 * position whose line differs, or, when the mutated log is a strict prefix, the live file just
 * after its last line (a truncated tail). Null when nothing changed.
 */
export function expectedBreak (original: Snapshot, mutated: Snapshot): ExpectedBreak | null {
  const a = originalPositions.get(original) ?? positions(original)
  originalPositions.set(original, a)
  const b = positions(mutated)
  for (let i = 0; i < b.length; i++) {
    if (i >= a.length || a[i]!.text !== b[i]!.text) return { file: b[i]!.file, line: b[i]!.line, seq: claimedSeq(b[i]!.text), truncated: false }
  }
  if (b.length === a.length) return null
  const live = mutated.files.find((f) => f.name === 'audit.jsonl')
  return { file: 'audit.jsonl', line: (live === undefined ? 0 : linesOf(live.content).length) + 1, seq: claimedSeq(a[b.length]!.text), truncated: true }
}
