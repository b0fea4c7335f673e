// Turns the paths the runner knows into a layout bwrap can mount. bwrap 0.8 cannot mount onto a
// destination that is or passes through a symbolic link (it resolves it outside the new root and
// refuses to start), so every path becomes its realpath here; and a hidden path needs its kind,
// because a directory and a file are covered differently.
import { realpathSync, statSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import type { HiddenPath, SandboxLayout } from './bwrap-argv.ts'

export interface LayoutRequest {
  cwd: string
  writable: readonly string[]
  /** Directories or files; one that does not exist has nothing to hide and is left out. */
  hidden: readonly string[]
}

/** Throws when `cwd` or a writable path does not exist: bwrap would refuse to start anyway. */
export function resolveSandboxLayout (request: LayoutRequest): SandboxLayout {
  return {
    cwd: existing(request.cwd, 'working directory'),
    writable: request.writable.map((path) => existing(path, 'writable path')),
    hidden: request.hidden.flatMap(hiddenPath)
  }
}

function existing (path: string, what: string): string {
  const real = realpathOrNull(path)
  if (real === null) throw new Error(`sandbox ${what} does not exist: ${path}`)
  return real
}

function hiddenPath (path: string): HiddenPath[] {
  const real = realpathOrNull(path)
  if (real === null) return []
  return [{ path: real, kind: statSync(real).isDirectory() ? 'dir' : 'file' }]
}

function realpathOrNull (path: string): string | null {
  // A relative path would silently depend on where the gateway was started.
  if (!isAbsolute(path)) throw new RangeError(`sandbox path is not absolute: ${JSON.stringify(path)}`)
  try {
    return realpathSync(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw error
  }
}
