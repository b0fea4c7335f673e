// `<command> --version`, the way the agent itself would be started: an argument list (no shell), the
// agent's minimal environment (none of the gateway's secrets), stdin closed (some CLIs wait for piped
// input otherwise) and a hard time limit, so a CLI that hangs or prompts cannot stall doctor.
import { execa } from 'execa'
import { buildAgentEnv } from '../runner/agent-env.ts'

export const VERSION_TIMEOUT_MS = 5000

export type VersionProbe = { ok: true, version: string } | { ok: false, why: string }

export async function probeVersion (executable: string, env: NodeJS.ProcessEnv, timeoutMs = VERSION_TIMEOUT_MS): Promise<VersionProbe> {
  const result = await execa(executable, ['--version'], {
    reject: false,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    stdin: 'ignore',
    extendEnv: false,
    env: buildAgentEnv(env, []),
    maxBuffer: 64 * 1024,
    stripFinalNewline: true
  })
  const firstLine = (text: unknown): string => (typeof text === 'string' ? text : '').trim().split('\n')[0]?.trim().slice(0, 200) ?? ''
  if (result.timedOut) return { ok: false, why: `gave no answer within ${timeoutMs / 1000} s` }
  if (result.code !== undefined) return { ok: false, why: `could not be started (${result.code})` }
  if (result.failed) {
    const said = firstLine(result.stderr) || firstLine(result.stdout)
    const how = result.exitCode !== undefined ? `exited with ${result.exitCode}` : `was killed by ${result.signal ?? 'a signal'}`
    return { ok: false, why: `${how}${said === '' ? '' : `: ${said}`}` }
  }
  const version = firstLine(result.stdout)
  return version === '' ? { ok: false, why: 'printed nothing on stdout' } : { ok: true, version }
}
