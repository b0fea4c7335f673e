// The audit key: 32 random bytes, hex, in `audit.key` beside the log (mode 0600). Whoever can edit
// the log but not read this file cannot make an edited record verify.
import { randomBytes, type KeyObject } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { AuditStateError, errnoCode } from './errors.ts'
import { auditKey } from './record.ts'

export const KEY_FILE = 'audit.key'

/** The key in `path`, or null when the file does not exist. @throws AuditStateError when it exists but is not a key. */
export function readKey (path: string): KeyObject | null {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null
    throw new AuditStateError(`cannot read the audit key ${path} (${errnoCode(err)})`)
  }
  const hex = text.trim()
  // A short or mangled key would silently weaken every MAC: refuse it.
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new AuditStateError(`the audit key ${path} is not 64 hex digits`)
  return auditKey(Buffer.from(hex, 'hex'))
}

/** Creates a new key; `wx` so two processes starting at once cannot each write their own. */
export function createKey (path: string): KeyObject {
  const raw = randomBytes(32)
  try {
    writeFileSync(path, `${raw.toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') {
      const existing = readKey(path)
      if (existing !== null) return existing
    }
    throw new AuditStateError(`cannot create the audit key ${path} (${errnoCode(err)})`)
  }
  return auditKey(raw)
}
