// Is each agent CLI the configuration starts installed here, and does it run? Found on PATH (or at its
// path) the way the runner finds it, then asked for its version. Profile `command` is any program, so
// only its existence is checked: `--version` could mean anything to it.
import { accessSync, constants, statSync } from 'node:fs'
import { findOnPath } from '../config/find-on-path.ts'
import type { AgentConfig, Config } from '../config/schema.ts'
import { probeVersion } from './agent-version.ts'
import { describeUse, executableOf, type AgentUse } from './agents-in-use.ts'
import { fail, info, ok, warn, type Check } from './check.ts'

const NPM_PACKAGE: Readonly<Record<string, string>> = {
  claude: '@anthropic-ai/claude-code',
  codex: '@openai/codex',
  gemini: '@google/gemini-cli',
  opencode: 'opencode-ai',
  copilot: '@github/copilot'
}

export async function agentChecks (config: Pick<Config, 'execution'>, uses: readonly AgentUse[], env: NodeJS.ProcessEnv): Promise<Check[]> {
  const head: Check[] = []
  if (config.execution === 'workers') {
    head.push(info('agent', 'execution: workers: agents run where `hookgate worker` runs; what they lack on this machine is only a warning here, so run `hookgate doctor` on each worker too'))
  }
  // One check per executable, naming everyone who starts it.
  const byExecutable = new Map<string, { agent: AgentConfig, users: string[] }>()
  for (const use of uses) {
    const key = `${use.agent.profile}\0${executableOf(use.agent)}`
    const entry = byExecutable.get(key) ?? { agent: use.agent, users: [] }
    entry.users.push(describeUse(use))
    byExecutable.set(key, entry)
  }
  const checks = await Promise.all([...byExecutable.values()].map(async ({ agent, users }) => await executableCheck(agent, users.join(', '), env)))
  return [...head, ...checks]
}

async function executableCheck (agent: AgentConfig, who: string, env: NodeJS.ProcessEnv): Promise<Check> {
  if (agent.profile === 'demo') return info('agent', `${who}: the built-in demo agent (canned answers, not a real agent)`)
  const executable = executableOf(agent)
  const path = locate(executable, env.PATH)
  if (path === null) return missing(agent, executable, who)
  if (agent.profile === 'command') return ok('agent', `${who}: ${path} (profile command) is executable`)
  const probe = await probeVersion(path, env)
  if (probe.ok) return ok('agent', `${who}: ${agent.profile} ${probe.version} (${path})`)
  return warn('agent', `${who}: ${path} found, but \`${executable} --version\` ${probe.why}`, {
    fix: `run \`${path} --version\` as the user hookgate runs as to see what is wrong; reinstall the ${agent.profile} CLI if it is broken`
  })
}

function missing (agent: AgentConfig, executable: string, who: string): Check {
  const pointer = agent.profile === 'command' ? 'argv[0]' : 'command'
  if (executable.includes('/')) {
    return fail('agent', `${who}: ${JSON.stringify(executable)} does not exist or is not executable`, {
      fix: `install it there (chmod +x if it is a script) or correct ${pointer}`
    })
  }
  const pkg = NPM_PACKAGE[agent.profile]
  return fail('agent', `${who}: ${JSON.stringify(executable)} is not on PATH; runs will fail until it is`, {
    fix: `${pkg === undefined ? 'install it' : `install the ${agent.profile} CLI (npm install -g ${pkg})`} where the user hookgate runs as finds it on PATH, or set ${pointer} to its full path`
  })
}

/** The runner's view: a path must be an executable file, a name is looked up on PATH (absolute entries only). */
function locate (executable: string, PATH: string | undefined): string | null {
  if (!executable.includes('/')) return findOnPath(executable, PATH)
  try {
    if (!statSync(executable).isFile()) return null
    accessSync(executable, constants.X_OK)
    return executable
  } catch {
    return null
  }
}
