// Start-up: where the chain continues, and what the gateway must say about the state it found.
// Nothing is continued silently from a state that could fork the chain: a damaged last record stops
// the start; a tail shorter than the head anchor, a missing or invalid anchor and a torn last line
// are repaired only together with a `config` record that says so, which the verifier reports.
import type { KeyObject } from 'node:crypto'
import { basename } from 'node:path'
import { AuditStateError } from './errors.ts'
import type { LogLayout, RotatedFile } from './files.ts'
import { readAnchor, type Head } from './head-anchor.ts'
import type { LiveFile } from './live-file.ts'
import { GENESIS, parseLine, REASON, type AuditEntry } from './record.ts'
import { lastLineOfFile } from './tail.ts'

export interface Recovered {
  /** The next record gets `seq + 1` and `prev = hash`. After a lost tail `seq` is the anchor's, so no seq is ever reused. */
  readonly head: Head
  /** `config` records to append before anything else, in order. */
  readonly incidents: AuditEntry[]
}

export function recover (layout: LogLayout, key: KeyObject, live: LiveFile, rotated: readonly RotatedFile[], keyIsNew: boolean): Recovered {
  const incidents: AuditEntry[] = []
  const torn = live.tornBytes()
  // A crash mid-write leaves the start of a line that was never acknowledged; a new record after
  // it would be glued onto it. Cut it off, and say so after the chain state is settled.
  if (torn > 0) live.truncate(live.size - torn)

  const found = lastRecord(layout, key, live, rotated)
  let head = found
  const anchor = readAnchor(layout.anchorPath, key)
  if (anchor.kind === 'ok') {
    const a = anchor.head
    if (a.seq > found.seq || (a.seq === found.seq && a.hash !== found.hash)) {
      // Records the anchor saw are gone: deleted, or not yet on disk at a power loss. Continue
      // after the anchor's seq (never reusing one), linked to the last record that is still there.
      incidents.push({ event: 'config', reason: REASON.tailLost, lost_from: found.seq + 1, lost_to: a.seq, anchor_hash: a.hash })
      head = { seq: a.seq, hash: found.hash }
    }
  } else if (anchor.kind === 'missing') {
    if (!keyIsNew) incidents.push({ event: 'config', reason: REASON.anchorMissing })
  } else {
    incidents.push({ event: 'config', reason: REASON.anchorInvalid, detail: anchor.why })
  }
  if (torn > 0) incidents.push({ event: 'config', reason: REASON.tornTailRemoved, bytes: torn })
  return { head, incidents }
}

/** The newest complete record: the live file's last line, else the newest rotated file's. */
function lastRecord (layout: LogLayout, key: KeyObject, live: LiveFile, rotated: readonly RotatedFile[]): Head {
  let line = live.lastLine()
  let file = layout.livePath
  for (let i = rotated.length - 1; line === null && i >= 0; i--) {
    file = rotated[i]!.path
    line = lastLineOfFile(file)
  }
  if (line === null) return { seq: 0, hash: GENESIS }
  const parsed = parseLine(key, line)
  if (!parsed.ok) {
    throw new AuditStateError(`the last record of ${basename(file)} is not valid (${parsed.why === 'bad_hash' ? 'bad hash' : 'unparsable'}): ` +
      'appending after it would fork the chain. Run `hookgate audit verify` to see the damage; to start a new chain, move the audit files (not audit.key) aside')
  }
  return { seq: parsed.record.seq, hash: parsed.record.hash }
}
