// Secrets the gateway generates for itself and keeps in the state directory (the quick-start
// caller's signing secret, the key of run links): created once, private to this user, refused when
// others could read them.
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError } from '../errors.ts'

/**
 * @param missingHint what to do when the file does not exist.
 * @throws ConfigError when the file is missing, unreadable, too short, or readable by other users.
 */
export function readStateSecret (stateDir: string, name: string, missingHint: string): string {
  const file = join(resolve(stateDir), name)
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
    throw secretError(file, missing ? `not found: ${missingHint}` : (err as Error).message)
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) throw secretError(file, 'is not a regular file')
    // Like ssh with private keys: a secret others could read may already be known to them.
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) throw secretError(file, `is readable by other users: chmod 600 ${file}`)
    const secret = readFileSync(fd, 'utf8').trim()
    if (Buffer.byteLength(secret) < 16 || /\s/.test(secret)) throw secretError(file, `is not a usable secret: delete it to have a new one generated`)
    return secret
  } finally {
    closeSync(fd)
  }
}

// Written to a private temporary file and linked into place, so the secret file never exists
// half-written and two gateways starting at once end up sharing one secret.
export function ensureStateSecret (stateDir: string, name: string): string {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  const file = join(stateDir, name)
  if (!existsSync(file)) {
    const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
    writeFileSync(temp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
    try {
      linkSync(temp, file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    } finally {
      unlinkSync(temp)
    }
  }
  return readStateSecret(stateDir, name, 'it is created at start')
}

function secretError (file: string, why: string): ConfigError {
  return new ConfigError([{ path: '', message: `secret file ${file} ${why}` }])
}
