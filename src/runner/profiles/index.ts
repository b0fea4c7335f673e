// The one place a profile name from the config maps to its implementation.
import type { AgentConfig } from '../../config/schema.ts'
import { claudeProfile } from './claude.ts'
import { commandProfile } from './command.ts'
import { demoProfile } from './demo.ts'
import type { AgentProfile } from './profile.ts'

const PROFILES: Readonly<Record<AgentConfig['profile'], AgentProfile>> = {
  claude: claudeProfile,
  command: commandProfile,
  demo: demoProfile
}

/** Throws on a name the config schema would have refused. */
export function profileFor (name: string): AgentProfile {
  if (!Object.hasOwn(PROFILES, name)) throw new Error(`unknown agent profile "${name}"`)
  return PROFILES[name as AgentConfig['profile']]
}
