// The verifier behind `hookgate audit verify`: walks the rotated files in order, then the live file,
// checking every record's HMAC, that seq counts up by one and that prev is the hash before it; then
// compares the end with the head anchor. It stops at the first bad record and says what is wrong.
import type { KeyObject } from 'node:crypto'
import { basename } from 'node:path'
import { rotatedIndex } from './files.ts'
import { readAnchor, type AnchorRead } from './head-anchor.ts'
import { readKey } from './key.ts'
import { readLines } from './lines.ts'
import { FILE_START_REASONS, GENESIS, parseLine, REASON, type ParsedRecord } from './record.ts'
import { VerifyInputError, type VerifyFile, type VerifyTarget } from './verify-target.ts'

export type ProblemKind =
  | 'unparsable' | 'bad_hash' | 'seq_gap' | 'out_of_order' | 'prev_mismatch'
  | 'start' | 'empty_file' | 'truncated' | 'anchor'

export interface VerifyProblem {
  readonly kind: ProblemKind
  /** Base name of the file holding the bad record (for `truncated`, the live file; for `anchor` problems with the anchor itself, the anchor file). */
  readonly file: string
  /** 1-based line in that file; for `truncated`, the line where the missing records should be; 0 for the anchor file. */
  readonly line: number
  /** The seq on that line (as claimed, for a damaged line; null when none can be read); for `truncated`, the first missing seq. */
  readonly seq: number | null
  readonly message: string
}

export type NoteKind = 'pruned' | 'recorded_loss' | 'anchor_reset' | 'torn_tail_removed' | 'unanchored' | 'no_anchor' | 'single_file'

export interface VerifyNote {
  readonly kind: NoteKind
  readonly message: string
  /** Known incompleteness: a failure under `--strict`. */
  readonly strict: boolean
}

export interface VerifyResult {
  readonly ok: boolean
  readonly dir: string
  /** Names of the files checked, in chain order. */
  readonly files: readonly string[]
  /** Records checked and found good (before the problem, if any). */
  readonly records: number
  readonly firstSeq: number | null
  readonly lastSeq: number | null
  readonly notes: readonly VerifyNote[]
  readonly problem: VerifyProblem | null
}

export interface VerifyOptions {
  /** Also fail on known incompleteness: a pruned start, recorded losses, a missing anchor in an archive. */
  readonly strict?: boolean
}

/** @throws VerifyInputError when the key is missing or unreadable (nothing can be verified without it). */
export function verifyAuditLog (target: VerifyTarget, options: VerifyOptions = {}): VerifyResult {
  let key: KeyObject | null
  try {
    key = readKey(target.keyPath)
  } catch (err) {
    throw new VerifyInputError(`cannot verify: ${(err as Error).message}`)
  }
  if (key === null) throw new VerifyInputError(`cannot verify: no audit key at ${target.keyPath} (it lives beside the log)`)
  const anchor: AnchorRead | null = target.anchorPath === null ? null : readAnchor(target.anchorPath, key)
  const walk = new ChainWalk(key, target, anchor)
  const problem = walk.run()
  const notes = walk.notes
  return {
    ok: problem === null && !(options.strict === true && notes.some((n) => n.strict)),
    dir: target.dir,
    files: target.files.map((f) => f.name),
    records: walk.records,
    firstSeq: walk.firstSeq,
    lastSeq: walk.lastSeq,
    notes,
    problem
  }
}

class ChainWalk {
  readonly notes: VerifyNote[] = []
  records = 0
  firstSeq: number | null = null
  lastSeq: number | null = null
  #lastHash = GENESIS
  #liveLines = 0
  readonly #key: KeyObject
  readonly #target: VerifyTarget
  readonly #anchor: AnchorRead | null

  constructor (key: KeyObject, target: VerifyTarget, anchor: AnchorRead | null) {
    this.#key = key
    this.#target = target
    this.#anchor = anchor
  }

  run (): VerifyProblem | null {
    const files = this.#target.files
    for (let i = 0; i < files.length; i++) {
      const file = files[i]!
      let lines = 0
      for (const line of readLines(file.path)) {
        lines = line.number
        const at = { file: file.name, line: line.number }
        const parsed = parseLine(this.#key, line.bytes)
        if (!line.terminated) {
          return { ...at, kind: 'unparsable', seq: parsed.ok ? parsed.record.seq : parsed.seq, message: 'incomplete last line (no newline): a torn write, or the file was cut' }
        }
        if (!parsed.ok) {
          return parsed.why === 'bad_hash'
            ? { ...at, kind: 'bad_hash', seq: parsed.seq, message: 'bad hash: the record was edited or forged' }
            : { ...at, kind: 'unparsable', seq: parsed.seq, message: 'unparsable line: not an audit record' }
        }
        const problem = this.#link(parsed.record, at, i)
        if (problem !== null) return problem
      }
      if (file.rotated && lines === 0) {
        return { file: file.name, line: 1, seq: null, kind: 'empty_file', message: 'empty rotated file: rotation never leaves one empty, so its records were deleted' }
      }
      if (!file.rotated) this.#liveLines = lines
    }
    return this.#checkTail()
  }

  /** Checks that `r` follows the record before it; notes what the log recorded about itself. */
  #link (r: ParsedRecord, at: { file: string, line: number }, fileIndex: number): VerifyProblem | null {
    if (this.lastSeq === null) {
      const problem = this.#checkStart(r, at)
      if (problem !== null) return problem
    } else if (r.seq !== this.lastSeq + 1 || r.prev !== this.#lastHash) {
      const expected = this.lastSeq + 1
      if (r.seq > expected && r.prev === this.#lastHash && isRecordedLoss(r, expected)) {
        this.notes.push({ kind: 'recorded_loss', strict: true, message: `seq ${expected}..${r.seq - 1} lost before a restart (deleted, or not yet on disk at a power loss); recorded at seq ${r.seq} in ${at.file} line ${at.line}` })
      } else if (r.seq > expected) {
        const later = this.#find(expected, fileIndex, at.line)
        return later === null
          ? { ...at, kind: 'seq_gap', seq: r.seq, message: `seq gap: ${range(expected, r.seq - 1)} missing (deleted)` }
          : { ...at, kind: 'out_of_order', seq: r.seq, message: `out of order: seq ${expected} was expected here; it is at ${later.file} line ${later.line}` }
      } else if (r.seq !== expected) {
        return { ...at, kind: 'out_of_order', seq: r.seq, message: `out of order: seq ${r.seq} after seq ${this.lastSeq} (records moved or duplicated)` }
      } else {
        return { ...at, kind: 'prev_mismatch', seq: r.seq, message: 'prev mismatch: the record does not follow the one before it (replaced, or from another chain)' }
      }
    }
    const anchor = this.#anchor
    if (anchor?.kind === 'ok' && anchor.head.seq === r.seq && anchor.head.hash !== r.hash) {
      return { ...at, kind: 'anchor', seq: r.seq, message: `the head anchor names a different record seq ${r.seq}: the log was replaced or rolled back` }
    }
    this.#noteIncident(r, at)
    this.records += 1
    this.firstSeq ??= r.seq
    this.lastSeq = r.seq
    this.#lastHash = r.hash
    return null
  }

  /** The first record: seq 1 after the genesis hash, or the first record of a rotated file whose predecessors were pruned. */
  #checkStart (r: ParsedRecord, at: { file: string, line: number }): VerifyProblem | null {
    if (r.seq === 1 && r.prev === GENESIS) return null
    if (at.line === 1 && r.prev !== GENESIS && r.event === 'config' && typeof r.reason === 'string' && FILE_START_REASONS.has(r.reason) && this.#followsOlder(r, at.file)) {
      this.notes.push({ kind: 'pruned', strict: true, message: `the chain starts at seq ${r.seq} in ${at.file}, not at seq 1: older files were pruned (or deleted)` })
      return null
    }
    return { ...at, kind: 'start', seq: r.seq, message: `records before seq ${r.seq} were deleted: the first record here is neither seq 1 nor the first record of a rotated file` }
  }

  /**
   * A rotation record names the file it follows; in the oldest file left that must be an older
   * file, or a later file's content was moved here (a swap), not older files pruned.
   */
  #followsOlder (r: ParsedRecord, file: string): boolean {
    const here = rotatedIndex(this.#target.base, file)
    const previous = r.fields.previous
    if (here === null || typeof previous !== 'string') return true
    const before = rotatedIndex(this.#target.base, previous)
    return before !== null && before < here
  }

  #noteIncident (r: ParsedRecord, at: { file: string, line: number }): void {
    if (r.event !== 'config') return
    const where = `seq ${r.seq} in ${at.file} line ${at.line}`
    if (r.reason === REASON.anchorMissing || r.reason === REASON.anchorInvalid) {
      this.notes.push({ kind: 'anchor_reset', strict: true, message: `the gateway found the head anchor ${r.reason === REASON.anchorMissing ? 'missing' : 'invalid'} at a restart, so records just before ${where} could have been cut off unseen` })
    } else if (r.reason === REASON.tornTailRemoved) {
      this.notes.push({ kind: 'torn_tail_removed', strict: false, message: `a record torn by a crash mid-write was removed at a restart (${where}); it had never been acknowledged` })
    }
  }

  #checkTail (): VerifyProblem | null {
    const anchor = this.#anchor
    const target = this.#target
    if (anchor === null) {
      this.notes.push({ kind: 'single_file', strict: false, message: 'one rotated file checked on its own: its neighbours and the head anchor were not checked' })
      return null
    }
    const anchorName = basename(target.anchorPath ?? '')
    if (anchor.kind === 'missing') {
      if (target.liveExists) return { file: anchorName, line: 0, seq: null, kind: 'anchor', message: `head anchor ${anchorName} is missing: a cut-off tail cannot be ruled out` }
      this.notes.push({ kind: 'no_anchor', strict: true, message: 'no live file and no head anchor (an archive?): the end of the log was not checked' })
      return null
    }
    if (anchor.kind === 'invalid') return { file: anchorName, line: 0, seq: null, kind: 'anchor', message: `head anchor ${anchorName} ${anchor.why}` }
    const last = this.lastSeq ?? 0
    const head = anchor.head
    if (head.seq > last) {
      return {
        file: target.liveName,
        line: this.#liveLines + 1,
        seq: last + 1,
        kind: 'truncated',
        message: `truncated tail: the log ends at seq ${last} but the head anchor names seq ${head.seq}: ${range(last + 1, head.seq)} deleted`
      }
    }
    if (head.seq < last) {
      this.notes.push({ kind: 'unanchored', strict: false, message: `${plural(last - head.seq, 'record')} after the head anchor (seq ${head.seq}): written while verifying, or the anchor could not be updated` })
    }
    return null
  }

  /** Where a good record with `seq` appears after the given line, if anywhere (only to tell a move from a deletion). */
  #find (seq: number, fileIndex: number, afterLine: number): { file: string, line: number } | null {
    const files: readonly VerifyFile[] = this.#target.files
    for (let i = fileIndex; i < files.length; i++) {
      for (const line of readLines(files[i]!.path)) {
        if (i === fileIndex && line.number <= afterLine) continue
        const parsed = parseLine(this.#key, line.bytes)
        if (parsed.ok && parsed.record.seq === seq) return { file: files[i]!.name, line: line.number }
      }
    }
    return null
  }
}

function isRecordedLoss (r: ParsedRecord, expected: number): boolean {
  return r.event === 'config' && r.reason === REASON.tailLost && r.fields.lost_from === expected && r.fields.lost_to === r.seq - 1
}

function range (from: number, to: number): string {
  return from === to ? `seq ${from}` : `seq ${from}..${to}`
}

export function plural (n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
