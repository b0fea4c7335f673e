// The bubblewrap command line that contains one agent process. The agent is prompt-driven, so it is
// treated as hostile: it may read the system (it needs its toolchain), write only where it works, never
// read the gateway's own state (database, audit log, secrets) or config, and it dies with the gateway.
// The network stays shared because the agent has to reach its model API.
import { posix } from 'node:path'

/** A path the agent must not read; a directory is covered by an empty tmpfs, a file by /dev/null. */
export interface HiddenPath {
  path: string
  kind: 'dir' | 'file'
}

/**
 * Every path absolute, existing and free of symbolic links (realpath): bwrap 0.8 resolves a symlink in
 * a destination outside the new root and fails to start. `sandbox-layout.ts` produces such a layout.
 */
export interface SandboxLayout {
  /** Where the agent starts; it can only write there if it is in (or below) one of `writable`. */
  cwd: string
  /** Directories bound read-write, e.g. the working directory, the agent's state dir, a scratch dir. */
  writable: readonly string[]
  /** Wins over `writable` for the same path; a writable path below a hidden one stays writable. */
  hidden: readonly HiddenPath[]
}

interface Mount {
  path: string
  op: 'bind' | HiddenPath['kind']
}

/** Order of operations at the same depth: a path that is both writable and hidden ends up hidden. */
const RANK: Readonly<Record<Mount['op'], number>> = { bind: 0, dir: 1, file: 1 }

/**
 * `bwrapPath`, its options, `--`, then `argv` unchanged. Every path is its own argument and nothing
 * passes through a shell, so spaces, quotes or a leading "-" in a path or an argument stay literal.
 */
export function bwrapArgv (bwrapPath: string, argv: readonly string[], layout: SandboxLayout): string[] {
  if (bwrapPath === '') throw new RangeError('bwrap path is empty')
  if (argv.length === 0) throw new RangeError('no command to run in the sandbox')
  const mounts: Mount[] = [
    ...layout.writable.map((path): Mount => ({ path: mountPath(path), op: 'bind' })),
    ...layout.hidden.map(({ path, kind }): Mount => ({ path: mountPath(path), op: kind }))
  ]
  // bwrap mounts in argument order and a later mount covers an earlier one, so an ancestor must come
  // first: the project bound writable, then the gateway state inside it hidden, then the agent's own
  // state inside that bound again. Depth orders every ancestor before its descendants (sort is stable).
  mounts.sort((a, b) => depth(a.path) - depth(b.path) || RANK[a.op] - RANK[b.op])
  const hiddenDirs = mounts.filter((m) => m.op === 'dir').map((m) => m.path)
  return [
    bwrapPath,
    '--unshare-pid',
    '--die-with-parent',
    // No controlling terminal inside, so nothing can push keystrokes into the gateway's (TIOCSTI).
    '--new-session',
    // Run as root, bwrap leaves the agent its capabilities, and CAP_SYS_ADMIN can simply unmount
    // what hides the gateway's state; as anyone else this is what bwrap does anyway.
    '--cap-drop', 'ALL',
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--tmpfs', '/tmp',
    ...mounts.flatMap(mountArgs),
    // The covering tmpfs stays writable until now because bwrap creates the mount points of the
    // writable paths below it there; read-only afterwards (not recursive: those paths stay writable).
    ...hiddenDirs.flatMap((path) => ['--remount-ro', path]),
    '--chdir', absolutePath(layout.cwd),
    '--',
    ...argv
  ]
}

function mountArgs ({ path, op }: Mount): string[] {
  if (op === 'bind') return ['--bind', path, path]
  if (op === 'dir') return ['--tmpfs', path]
  return ['--ro-bind', '/dev/null', path]
}

/** Normalised, so that depth counts real components. */
function absolutePath (path: string): string {
  if (!posix.isAbsolute(path)) throw new RangeError(`sandbox path is not absolute: ${JSON.stringify(path)}`)
  if (path.includes('\0')) throw new RangeError('sandbox path contains a NUL character')
  const normal = posix.normalize(path)
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal
}

/** "/" writable would undo the read-only root, and hiding it would leave nothing to run. */
function mountPath (path: string): string {
  const normal = absolutePath(path)
  if (normal === '/') throw new RangeError('the root directory cannot be writable or hidden in the sandbox')
  return normal
}

function depth (path: string): number {
  return path.split('/').length
}
