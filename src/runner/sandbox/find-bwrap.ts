// Whether `sandbox: bwrap` can work on this machine. Being installed is not enough: unprivileged user
// namespaces may be disabled (sysctl, or Ubuntu's AppArmor restriction) and a container may refuse to
// mount /proc; so the probe starts one real sandbox with the options of every run.
import { execFile, type ExecFileException } from 'node:child_process'
import { findOnPath } from '../../config/find-on-path.ts'
import { bwrapArgv } from './bwrap-argv.ts'

/** A sandbox starts in milliseconds; seconds mean something is wrong, and a start must not hang on it. */
export const PROBE_TIMEOUT_MS = 3000

export type BwrapProbe = { ok: true, ms: number } | { ok: false, message: string }
export type BwrapStatus = { ok: true, path: string } | { ok: false, message: string }

const NAMESPACE_HINT = 'unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, ' +
  'user.max_user_namespaces, or on Ubuntu kernel.apparmor_restrict_unprivileged_userns), or a container may forbid mounting /proc'

/** Absolute path of `bwrap` on `PATH` (relative entries skipped), or null. */
export function findBwrap (PATH: string | undefined): string | null {
  return findOnPath('bwrap', PATH)
}

/** Never rejects. Runs bwrap's own --version inside the sandbox, so no other program needs to exist. */
export async function probeBwrap (bwrapPath: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<BwrapProbe> {
  const [file = bwrapPath, ...args] = bwrapArgv(bwrapPath, [bwrapPath, '--version'], { cwd: '/', writable: [], hidden: [] })
  const started = performance.now()
  return await new Promise((resolve) => {
    execFile(file, args, { env: {}, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 }, (error, _stdout, stderr) => {
      if (error === null) {
        resolve({ ok: true, ms: performance.now() - started })
        return
      }
      resolve({ ok: false, message: failure(bwrapPath, error, String(stderr), timeoutMs) })
    })
  })
}

/** Found and working, or why not, in words fit for `hookgate check` and the startup log. */
export async function bwrapStatus (PATH: string | undefined, platform: NodeJS.Platform = process.platform): Promise<BwrapStatus> {
  if (platform !== 'linux') return { ok: false, message: `bubblewrap needs Linux (this is ${platform}); set sandbox: none` }
  const path = findBwrap(PATH)
  if (path === null) {
    return { ok: false, message: 'bwrap (bubblewrap) is not on PATH: install it (e.g. apt install bubblewrap, dnf install bubblewrap) or set sandbox: none' }
  }
  const probe = await probeBwrap(path)
  return probe.ok ? { ok: true, path } : { ok: false, message: probe.message }
}

function failure (bwrapPath: string, error: ExecFileException, stderr: string, timeoutMs: number): string {
  if (error.killed === true) return `bwrap (${bwrapPath}) did not start a sandbox within ${timeoutMs} ms`
  // A string code is the errno of the spawn itself (ENOENT, EACCES); a number is bwrap's exit status.
  if (typeof error.code === 'string') return `bwrap (${bwrapPath}) could not be run (${error.code})`
  const said = stderr.trim().split('\n')[0] ?? ''
  return `bwrap (${bwrapPath}) cannot create a sandbox here${said === '' ? '' : `: ${said}`}; ${NAMESPACE_HINT}`
}
