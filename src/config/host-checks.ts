// What a valid config still needs from this machine: every agent CLI on PATH, working and project
// directories that exist, and bubblewrap wherever `sandbox: bwrap` is set. `hookgate check` reports
// each as an error; `serve` logs the missing CLIs and directories (runs then fail with the same words)
// and refuses to start without a sandbox it was told to use.
import { statSync } from 'node:fs'
import { bwrapStatus } from '../runner/sandbox/find-bwrap.ts'
import { agentFor } from './caller-agent.ts'
import { commandExists } from './find-on-path.ts'
import { childPointer, type ConfigProblem } from './problems.ts'
import type { AgentConfig, Config } from './schema.ts'

export interface HostReport {
  /** Missing CLIs and directories. */
  problems: ConfigProblem[]
  /** `sandbox: bwrap` that cannot work here: the gateway must not start. */
  sandboxProblems: ConfigProblem[]
  /** bubblewrap, when some agent needs it and it works. */
  bwrapPath: string | null
}

export async function checkHost (config: Config, env: NodeJS.ProcessEnv): Promise<HostReport> {
  const agents: Array<{ path: string, agent: AgentConfig }> = []
  const ids = Object.keys(config.callers)
  // The global agent matters only while some caller (or none at all) still uses it.
  if (ids.length === 0 || ids.some((id) => config.callers[id]?.agent === undefined)) agents.push({ path: '/agent', agent: config.agent })
  for (const id of ids) {
    if (config.callers[id]?.agent !== undefined) agents.push({ path: `${childPointer('/callers', id)}/agent`, agent: agentFor(config, id) })
  }
  const problems: ConfigProblem[] = []
  const seen = new Set<string>()
  for (const { path, agent } of agents) {
    if (agent.profile === 'demo') continue
    const command = agent.profile === 'command' ? agent.argv[0] ?? '' : agent.command
    if (!seen.has(command) && !commandExists(command, env.PATH)) {
      seen.add(command)
      problems.push({
        path: agent.profile === 'command' ? `${path}/argv/0` : `${path}/command`,
        message: command.includes('/')
          ? `agent command "${command}" does not exist or is not executable`
          : `agent command "${command}" not found on PATH (install the ${agent.profile} CLI or set command to its full path); runs will fail until it is there`
      })
    }
  }
  for (const { path, agent } of agents) {
    if (!isDirectory(agent.cwd) && !seen.has(`cwd:${agent.cwd}`)) {
      seen.add(`cwd:${agent.cwd}`)
      problems.push({ path: `${path}/cwd`, message: `working directory "${agent.cwd}" does not exist` })
    }
  }
  for (const [name, dir] of Object.entries(config.projects)) {
    if (!isDirectory(dir)) problems.push({ path: childPointer('/projects', name), message: `project directory "${dir}" does not exist` })
  }
  const sandboxed = agents.filter(({ agent }) => agent.sandbox === 'bwrap')
  if (sandboxed.length === 0) return { problems, sandboxProblems: [], bwrapPath: null }
  const status = await bwrapStatus(env.PATH)
  if (status.ok) return { problems, sandboxProblems: [], bwrapPath: status.path }
  return { problems, sandboxProblems: sandboxed.map(({ path }) => ({ path: `${path}/sandbox`, message: `sandbox is bwrap but ${status.message}` })), bwrapPath: null }
}

function isDirectory (path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
