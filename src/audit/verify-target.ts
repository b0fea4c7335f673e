// What `hookgate audit verify PATH` checks: a directory or a live file means the whole log (rotated
// files in order, then the live file, then the head anchor); a rotated file means that file alone.
import { existsSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { AuditError } from './errors.ts'
import { layoutOf, listRotated, LIVE_FILE } from './files.ts'
import { KEY_FILE } from './key.ts'

/** The path names no audit log, or its key is missing: nothing could be verified. */
export class VerifyInputError extends AuditError {
  constructor (message: string) {
    super(message)
    this.name = 'VerifyInputError'
  }
}

export interface VerifyFile {
  readonly name: string
  readonly path: string
  /** A rotated predecessor (never legitimately empty), as opposed to the live file. */
  readonly rotated: boolean
}

export interface VerifyTarget {
  readonly dir: string
  /** `audit` for `audit.jsonl` and `audit.000001.jsonl`. */
  readonly base: string
  readonly keyPath: string
  /** In chain order. */
  readonly files: readonly VerifyFile[]
  readonly liveName: string
  readonly liveExists: boolean
  /** Null when a single rotated file is checked on its own. */
  readonly anchorPath: string | null
}

const ROTATED_NAME = /^(.+)\.[0-9]{6,15}\.jsonl$/

export function resolveTarget (input: string): VerifyTarget {
  const path = resolve(input)
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat?.isDirectory() === true) return chainTarget(join(path, LIVE_FILE))
  const rotated = ROTATED_NAME.exec(basename(path))
  if (stat !== undefined && rotated !== null) {
    const dir = dirname(path)
    return { dir, base: rotated[1]!, keyPath: join(dir, KEY_FILE), files: [{ name: basename(path), path, rotated: true }], liveName: basename(path), liveExists: true, anchorPath: null }
  }
  return chainTarget(path)
}

function chainTarget (livePath: string): VerifyTarget {
  const layout = layoutOf(livePath)
  const rotated = listRotated(layout)
  const liveExists = existsSync(livePath)
  if (!liveExists && rotated.length === 0 && !existsSync(layout.anchorPath)) {
    throw new VerifyInputError(`no audit log at ${livePath}`)
  }
  const files: VerifyFile[] = rotated.map((f) => ({ name: f.name, path: f.path, rotated: true }))
  if (liveExists) files.push({ name: basename(livePath), path: livePath, rotated: false })
  return { dir: layout.dir, base: layout.base, keyPath: join(layout.dir, KEY_FILE), files, liveName: basename(livePath), liveExists, anchorPath: layout.anchorPath }
}
