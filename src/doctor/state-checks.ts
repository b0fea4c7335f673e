// The state directory holds the database (prompts and answers), the audit log and its key, the run-link
// key and the quick-start secret: it must be this user's alone, writable, and on a disk with room.
import { accessSync, constants, readdirSync, statfsSync, statSync, type Stats } from 'node:fs'
import { userInfo } from 'node:os'
import { dirname, join } from 'node:path'
import type { Config } from '../config/schema.ts'
import { fail, info, ok, warn, type Check } from './check.ts'
import { lockHolder } from './lock-holder.ts'

/** Below this, a busy gateway can fill the disk within a day (run events, audit lines). */
export const LOW_DISK_BYTES = 100 * 1024 * 1024

export function stateChecks (config: Pick<Config, 'state_dir'>): Check[] {
  const dir = config.state_dir
  const me = currentUser()
  let stat: Stats
  try {
    stat = statSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      return [fail('state', `state directory ${dir} cannot be examined (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { fix: `make it reachable for ${me.name}, or set state_dir to a directory of its own` })]
    }
    return notYetCreated(dir, me)
  }
  if (!stat.isDirectory()) return [fail('state', `state_dir ${dir} is not a directory`, { fix: 'set state_dir to a directory hookgate can create or owns' })]
  return [...directoryChecks(dir, stat, me), diskCheck(dir), lockCheck(dir)]
}

interface User {
  uid: number | null
  name: string
}

function currentUser (): User {
  const uid = process.getuid?.() ?? null
  let name = uid === null ? 'this user' : `uid ${uid}`
  try {
    name = userInfo().username
  } catch {}
  return { uid, name }
}

function notYetCreated (dir: string, me: User): Check[] {
  let parent = dirname(dir)
  while (!exists(parent) && dirname(parent) !== parent) parent = dirname(parent)
  try {
    accessSync(parent, constants.W_OK | constants.X_OK)
  } catch {
    return [fail('state', `state directory ${dir} does not exist and ${me.name} cannot create it (${parent} is not writable)`, {
      fix: `create it for the user hookgate runs as: sudo install -d -m 700 -o ${me.name} ${dir}`
    }), diskCheck(parent)]
  }
  return [ok('state', `state directory ${dir} does not exist yet: \`hookgate serve\` creates it (mode 0700)`), diskCheck(parent)]
}

function directoryChecks (dir: string, stat: Stats, me: User): Check[] {
  const checks: Check[] = []
  const mode = stat.mode & 0o777
  const octal = (m: number): string => `0${m.toString(8).padStart(3, '0')}`
  const foreignOwner = me.uid !== null && stat.uid !== me.uid
  if (foreignOwner) {
    checks.push(fail('state', `state directory ${dir} is owned by uid ${stat.uid}, not by ${me.name}`, {
      fix: `run doctor as the user hookgate runs as; if that is ${me.name}: chown -R ${me.name} ${dir}`
    }))
  }
  const dirPrivate = (mode & 0o077) === 0
  if (!dirPrivate) {
    checks.push(fail('state', `state directory ${dir} is open to other users (mode ${octal(mode)}): they can read prompts, answers and keys`, { fix: `chmod 700 ${dir}` }))
  } else if ((mode & 0o700) !== 0o700 || !writable(dir)) {
    checks.push(fail('state', `state directory ${dir} is not writable for ${me.name} (mode ${octal(mode)})`, { fix: `chmod 700 ${dir}${foreignOwner ? '' : ', and check that its file system is not mounted read-only'}` }))
  }
  const files = topLevelFiles(dir)
  const exposed = files.filter((f) => (f.stat.mode & 0o077) !== 0)
  const foreign = me.uid === null ? [] : files.filter((f) => f.stat.uid !== me.uid)
  if (exposed.length > 0) {
    const list = exposed.map((f) => `${f.name} (${octal(f.stat.mode & 0o777)})`)
    const fix = `chmod go-rwx ${exposed.map((f) => join(dir, f.name)).join(' ')}; and run hookgate with umask 077 (the systemd unit sets UMask=0077)`
    // Inside a private directory nobody else can reach them yet; a copy or a looser directory would expose them.
    if (dirPrivate) checks.push(warn('state', `files other users could read if the directory were opened: ${list.join(', ')}`, { fix }))
    else checks.push(fail('state', `files other users can read: ${list.join(', ')}`, { fix }))
  }
  if (foreign.length > 0) {
    checks.push(fail('state', `files owned by another user, which hookgate cannot rewrite: ${foreign.map((f) => `${f.name} (uid ${f.stat.uid})`).join(', ')}`, {
      fix: `chown ${me.name} ${foreign.map((f) => join(dir, f.name)).join(' ')} (or run doctor as the user hookgate runs as)`
    }))
  }
  if (checks.length === 0) checks.push(ok('state', `state directory ${dir}: mode ${octal(mode)}, owned by ${me.name}, ${files.length} file${files.length === 1 ? '' : 's'} private to it`))
  return checks
}

function diskCheck (dir: string): Check {
  let free: number
  try {
    const fs = statfsSync(dir)
    free = fs.bavail * fs.bsize
  } catch (error) {
    return info('state', `free disk space of ${dir} unknown (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  if (free < LOW_DISK_BYTES) {
    return warn('state', `only ${size(free)} free for ${dir}: the database and the audit log grow with every run`, {
      fix: 'free some space, or move state_dir to a larger file system (stop hookgate first and move the whole directory)'
    })
  }
  return ok('state', `${size(free)} free for ${dir}`)
}

function lockCheck (dir: string): Check {
  const holder = lockHolder(dir)
  switch (holder.state) {
    case 'free': return info('state', 'no running hookgate uses this state directory')
    case 'held': return info('state', `a running hookgate (pid ${holder.pid}) uses this state directory: fine, doctor only reads it`)
    case 'stale': return info('state', `gateway.lock names pid ${holder.pid}, which is no longer running: the next start takes the lock over`)
    case 'unreadable': return warn('state', `gateway.lock cannot be read (${holder.why})`, { fix: `it should belong to the user hookgate runs as: ls -l ${join(dir, 'gateway.lock')}` })
  }
}

function topLevelFiles (dir: string): Array<{ name: string, stat: Stats }> {
  const files: Array<{ name: string, stat: Stats }> = []
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return files
  }
  for (const name of names) {
    try {
      const stat = statSync(join(dir, name))
      if (stat.isFile()) files.push({ name, stat })
    } catch {}
  }
  return files.sort((a, b) => a.name.localeCompare(b.name))
}

function size (bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`
  return `${Math.floor(bytes / 1024 ** 2)} MB`
}

function exists (path: string): boolean {
  try {
    statSync(path)
    return true
  } catch {
    return false
  }
}

function writable (path: string): boolean {
  try {
    accessSync(path, constants.W_OK | constants.X_OK)
    return true
  } catch {
    return false
  }
}
