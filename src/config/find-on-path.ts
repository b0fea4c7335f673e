// Finds an executable the way a shell would, minus the risky parts: relative and empty PATH
// entries (which mean "the current directory") are skipped, so what is found does not depend on
// where hookgate happens to be started.
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'

/** Absolute path of the first executable regular file called `name` on `PATH`, or null. */
export function findOnPath (name: string, PATH: string | undefined): string | null {
  if (name === '' || name.includes('/')) return null
  for (const dir of (PATH ?? '').split(delimiter)) {
    if (!isAbsolute(dir)) continue
    const candidate = join(dir, name)
    if (isExecutableFile(candidate)) return candidate
  }
  return null
}

/** A command as the agent will be started: a path must be an executable file, a name must be on PATH. */
export function commandExists (command: string, PATH: string | undefined): boolean {
  return command.includes('/') ? isExecutableFile(command) : findOnPath(command, PATH) !== null
}

function isExecutableFile (path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}
