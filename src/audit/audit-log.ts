// The audit log (contract §8): one JSON object per line, each chained to the previous one by a keyed
// hash, written synchronously so a record is on its way to disk before the answer it explains is sent.
// The key lives beside the log (mode 0600) so someone who can only edit the log cannot recompute the chain.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs'
import { createHmac, randomBytes } from 'node:crypto'
import { join } from 'node:path'

export type AuditEventName = 'request' | 'rejected' | 'accepted' | 'started' | 'finished' | 'cancelled' | 'interrupted' | 'permission' | 'config'

export interface AuditEntry {
  event: AuditEventName
  caller?: string | null
  user?: string | null
  run?: string | null
  reason?: string
  [extra: string]: unknown
}

export interface AuditSink {
  append (entry: AuditEntry): void
}

const GENESIS = '0'.repeat(64)

/** Hash of one record: HMAC over the previous hash and the record's JSON without its `hash`. */
export function chainHash (key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('hex')
}

export class AuditLog implements AuditSink {
  readonly path: string
  readonly #fd: number
  readonly #key: Buffer
  readonly #now: () => number
  #seq: number
  #prev: string

  constructor (stateDir: string, now: () => number = Date.now) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 })
    this.path = join(stateDir, 'audit.jsonl')
    this.#key = loadOrCreateKey(join(stateDir, 'audit.key'))
    this.#now = now
    this.#fd = openSync(this.path, 'a+', 0o600)
    const last = readLastLine(this.#fd)
    const parsed = last === null ? null : safeParse(last)
    this.#seq = typeof parsed?.seq === 'number' ? parsed.seq : 0
    this.#prev = typeof parsed?.hash === 'string' ? parsed.hash : GENESIS
  }

  append (entry: AuditEntry): void {
    const record = {
      seq: this.#seq + 1,
      ts: new Date(this.#now()).toISOString(),
      ...entry,
      caller: entry.caller ?? null,
      user: entry.user ?? null,
      run: entry.run ?? null,
      prev: this.#prev
    }
    const body = JSON.stringify(record)
    const hash = chainHash(this.#key, body)
    const line = `${body.slice(0, -1)},"hash":"${hash}"}\n`
    writeSync(this.#fd, line)
    this.#seq = record.seq
    this.#prev = hash
  }

  close (): void {
    closeSync(this.#fd)
  }
}

function loadOrCreateKey (path: string): Buffer {
  if (existsSync(path)) return Buffer.from(readFileSync(path, 'utf8').trim(), 'hex')
  const key = randomBytes(32)
  writeFileSync(path, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
  return key
}

function readLastLine (fd: number): string | null {
  const size = fstatSync(fd).size
  if (size === 0) return null
  const len = Math.min(size, 64 * 1024)
  const buf = Buffer.alloc(len)
  readSync(fd, buf, 0, len, size - len)
  const lines = buf.toString('utf8').split('\n').filter((l) => l.length > 0)
  return lines.at(-1) ?? null
}

function safeParse (line: string): Record<string, unknown> | null {
  try { return JSON.parse(line) as Record<string, unknown> } catch { return null }
}
