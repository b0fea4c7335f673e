// The directories agents work in must exist before a run needs them: a run in a missing directory
// fails at once with the same words.
import { statSync } from 'node:fs'
import type { Config } from '../config/schema.ts'
import { describeUse, type AgentUse } from './agents-in-use.ts'
import { fail, ok, type Check } from './check.ts'

export function directoryChecks (config: Pick<Config, 'projects'>, uses: readonly AgentUse[]): Check[] {
  const checks: Check[] = []
  const seen = new Set<string>()
  for (const use of uses) {
    if (use.agent.profile === 'demo' || seen.has(use.agent.cwd)) continue
    seen.add(use.agent.cwd)
    if (!isDirectory(use.agent.cwd)) {
      checks.push(fail('agent', `${describeUse(use)}: working directory ${use.agent.cwd} does not exist`, {
        fix: `create it (mkdir -p ${use.agent.cwd}) or set ${use.pointer}/cwd to the project the agent should work in`
      }))
    }
  }
  for (const [name, dir] of Object.entries(config.projects)) {
    if (!isDirectory(dir)) checks.push(fail('agent', `project ${name}: directory ${dir} does not exist`, { fix: `create it or correct /projects/${name}` }))
  }
  if (checks.length === 0 && (seen.size > 0 || Object.keys(config.projects).length > 0)) {
    checks.push(ok('agent', `working directories exist (${[...seen, ...Object.values(config.projects)].join(', ')})`))
  }
  return checks
}

function isDirectory (path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
