// The one place a profile name from the config maps to its implementation.
import type { AgentConfig } from '../../config/schema.ts'
import { claudeProfile } from './claude.ts'
import { codexProfile } from './codex.ts'
import { commandProfile } from './command.ts'
import { copilotProfile } from './copilot.ts'
import { demoProfile } from './demo.ts'
import { geminiProfile } from './gemini.ts'
import { opencodeProfile } from './opencode.ts'
import type { AgentProfile } from './profile.ts'

const PROFILES: Readonly<Record<AgentConfig['profile'], AgentProfile>> = {
  claude: claudeProfile,
  codex: codexProfile,
  gemini: geminiProfile,
  opencode: opencodeProfile,
  copilot: copilotProfile,
  command: commandProfile,
  demo: demoProfile
}

/** Throws on a name the config schema would have refused. */
export function profileFor (name: string): AgentProfile {
  if (!Object.hasOwn(PROFILES, name)) throw new Error(`unknown agent profile "${name}"`)
  return PROFILES[name as AgentConfig['profile']]
}
