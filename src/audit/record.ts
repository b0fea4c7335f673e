// One audit record as a line of bytes: how it is built and keyed, and how a line read
// back is taken apart again. The hash is computed over the exact bytes written, so the verifier needs
// no canonical JSON: it strips the fixed-width `,"hash":"…"` suffix and recomputes the HMAC.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'

export const EVENT_NAMES = ['request', 'rejected', 'accepted', 'started', 'finished', 'cancelled', 'interrupted', 'permission', 'config', 'delivery', 'steered', 'session'] as const
export type AuditEventName = typeof EVENT_NAMES[number]

/** Lifecycle records are fdatasync'ed: they must survive a power loss, not just a killed process. */
export const DURABLE_EVENTS: ReadonlySet<AuditEventName> = new Set(['accepted', 'started', 'finished', 'cancelled', 'interrupted', 'config'])

/** `prev` of the very first record. */
export const GENESIS = '0'.repeat(64)

/**
 * `config` reasons the log writes about itself. A file's first record is always one of the
 * FILE_START ones (except the genesis file), which is how the verifier tells a pruned oldest
 * file from deleted leading lines.
 */
export const REASON = {
  rotated: 'rotated',
  reopened: 'reopened',
  tailLost: 'tail_lost',
  anchorMissing: 'anchor_missing',
  anchorInvalid: 'anchor_invalid',
  tornTailRemoved: 'torn_tail_removed'
} as const
export const FILE_START_REASONS: ReadonlySet<string> = new Set([REASON.rotated, REASON.reopened, REASON.tailLost])

export interface AuditEntry {
  event: AuditEventName
  caller?: string | null
  user?: string | null
  run?: string | null
  reason?: string
  [extra: string]: unknown
}

/** Chain fields the log sets itself; an entry cannot override them. */
const RESERVED = new Set(['seq', 'ts', 'event', 'caller', 'user', 'run', 'prev', 'hash'])

const SUFFIX_HEAD = Buffer.from(',"hash":"')
/** `,"hash":"` + 64 hex digits + `"}` */
const SUFFIX_BYTES = SUFFIX_HEAD.length + 64 + 2
const CLOSE_BRACE = Buffer.from('}')
const HEX64 = /^[0-9a-f]{64}$/

export function auditKey (raw: Buffer): KeyObject {
  return createSecretKey(raw)
}

/** HMAC-SHA256 of a record's bytes without its `hash`. */
export function chainHash (key: KeyObject | Buffer, body: string | Buffer): string {
  return createHmac('sha256', key).update(body).digest('hex')
}

export interface FormattedRecord {
  readonly line: string
  readonly hash: string
}

/** The line (with its newline) for record `seq` after `prev`, fields in contract order then the entry's extras. */
export function formatRecord (key: KeyObject, seq: number, ts: string, entry: AuditEntry, prev: string): FormattedRecord {
  // Written out field by field: the bytes JSON.stringify gives for an object of these fields in this
  // order, without building that object and its entry list (a flood of refusals formats thousands of
  // records a second, and this was a good part of its garbage). `ts` and `prev` are the log's own
  // ISO date and hex digest, which need no escaping.
  let text = `{"seq":${seq},"ts":"${ts}","event":${JSON.stringify(entry.event)},"caller":${jsonOrNull(entry.caller)},` +
    `"user":${jsonOrNull(entry.user)},"run":${jsonOrNull(entry.run)}`
  for (const name in entry) {
    if (!Object.hasOwn(entry, name) || RESERVED.has(name)) continue
    // undefined for undefined, functions and symbols: left out, as JSON.stringify leaves them out of an object.
    const value = JSON.stringify(entry[name])
    if (value !== undefined) text += `,${JSON.stringify(name)}:${value}`
  }
  text += `,"prev":"${prev}"`
  const hash = createHmac('sha256', key).update(text).update(CLOSE_BRACE).digest('hex')
  return { line: `${text},"hash":"${hash}"}\n`, hash }
}

function jsonOrNull (value: unknown): string {
  return JSON.stringify(value ?? null) ?? 'null'
}

/** A line read back, before any chain check. */
export type ParsedLine =
  | { readonly ok: true, readonly record: ParsedRecord }
  | { readonly ok: false, readonly why: 'unparsable' | 'bad_hash', readonly seq: number | null }

export interface ParsedRecord {
  readonly seq: number
  readonly prev: string
  readonly hash: string
  readonly event: string
  readonly reason: unknown
  readonly fields: Readonly<Record<string, unknown>>
}

/** Splits, authenticates and parses one line (without its newline). The MAC is checked before anything is trusted. */
export function parseLine (key: KeyObject, line: Buffer): ParsedLine {
  const cut = line.length - SUFFIX_BYTES
  const hash = cut > 1 ? line.toString('latin1', cut + SUFFIX_HEAD.length, cut + SUFFIX_HEAD.length + 64) : ''
  if (cut <= 1 || line[0] !== 0x7b || !line.subarray(cut, cut + SUFFIX_HEAD.length).equals(SUFFIX_HEAD) ||
      !HEX64.test(hash) || line[line.length - 2] !== 0x22 || line[line.length - 1] !== 0x7d) {
    return { ok: false, why: 'unparsable', seq: peekSeq(line) }
  }
  const body = line.subarray(0, cut)
  const expected = createHmac('sha256', key).update(body).update(CLOSE_BRACE).digest('hex')
  if (expected !== hash) return { ok: false, why: 'bad_hash', seq: peekSeq(line) }
  let fields: unknown
  try {
    fields = JSON.parse(`${body.toString('utf8')}}`)
  } catch {
    return { ok: false, why: 'unparsable', seq: peekSeq(line) }
  }
  if (typeof fields !== 'object' || fields === null) return { ok: false, why: 'unparsable', seq: null }
  const f = fields as Record<string, unknown>
  if (!Number.isSafeInteger(f.seq) || (f.seq as number) < 1 || typeof f.prev !== 'string' || !HEX64.test(f.prev) || typeof f.event !== 'string') {
    return { ok: false, why: 'unparsable', seq: Number.isSafeInteger(f.seq) ? f.seq as number : null }
  }
  return { ok: true, record: { seq: f.seq as number, prev: f.prev, hash, event: f.event, reason: f.reason, fields: f } }
}

/** The seq a damaged line claims, for the report only (it proves nothing). */
function peekSeq (line: Buffer): number | null {
  const match = /^\{"seq":(\d{1,15})[,}]/.exec(line.toString('latin1', 0, 32))
  return match === null ? null : Number(match[1])
}
