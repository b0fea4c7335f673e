// `sandbox: bwrap` must work, not just be installed: the same probe `serve` runs before it agrees to
// start (it refuses to start without a sandbox it was told to use).
import { bwrapStatus } from '../runner/sandbox/find-bwrap.ts'
import { describeUse, type AgentUse } from './agents-in-use.ts'
import { fail, ok, type Check } from './check.ts'

export async function sandboxChecks (uses: readonly AgentUse[], env: NodeJS.ProcessEnv): Promise<Check[]> {
  const sandboxed = uses.filter((use) => use.agent.sandbox === 'bwrap')
  if (sandboxed.length === 0) return []
  const who = sandboxed.map(describeUse).join(', ')
  const status = await bwrapStatus(env.PATH)
  if (status.ok) return [ok('sandbox', `bubblewrap starts a sandbox (${status.path}) for ${who}`)]
  return [fail('sandbox', `sandbox: bwrap for ${who}, but ${status.message}`, {
    fix: '`hookgate serve` refuses to start until the sandbox works; docs/agents.md (the bubblewrap sandbox) lists what it needs'
  })]
}
