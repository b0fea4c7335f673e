// Fail-closed rules about agents: the command line of the `command` profile, tool rules that each
// caller's agent can really enforce (a rule the agent would silently ignore is an error, never a
// quiet widening), and projects that callers name. Like rules.ts, every access tolerates a wrong shape.
import { profileFor } from '../runner/profiles/index.ts'
import { parseToolRule } from '../runner/tools/tool-rule.ts'
import { narrowTools } from '../policy/tool-narrowing.ts'
import { childPointer, isObject, type ConfigProblem, type JsonObject } from './problems.ts'

const PROFILES: ReadonlySet<string> = new Set(['claude', 'codex', 'gemini', 'opencode', 'copilot', 'command', 'demo'])

export function agentProblems (config: JsonObject): ConfigProblem[] {
  const agent = objectAt(config, 'agent')
  const problems = argvProblems('/agent', agent)
  for (const [id, caller] of entries(config.callers)) {
    const base = childPointer('/callers', id)
    const own = isObject(caller.agent) ? caller.agent : null
    const effective = own === null ? agent : { ...agent, ...own, ...(own.profile !== undefined && own.argv === undefined && own.profile !== agent.profile ? { argv: [] } : {}) }
    if (own !== null) problems.push(...argvProblems(`${base}/agent`, effective))
    problems.push(...toolProblems(config, base, caller, String(effective.profile)))
    problems.push(...projectProblems(config, base, caller))
  }
  return problems
}

function argvProblems (base: string, agent: JsonObject): ConfigProblem[] {
  if (!Array.isArray(agent.argv)) return []
  if (agent.profile === 'command') {
    if (agent.argv.length === 0) {
      return [{ path: `${base}/argv`, message: 'profile "command" needs argv: the whole command line, argv[0] the executable, e.g. ["my-agent", "--quiet", "{prompt}"]' }]
    }
    if (agent.argv[0] === '' || agent.argv[0] === '{prompt}') {
      return [{ path: `${base}/argv/0`, message: 'argv[0] must name the executable' }]
    }
    return []
  }
  if (agent.argv.length > 0) {
    return [{ path: `${base}/argv`, message: `argv is only used with profile "command" (profile is ${JSON.stringify(agent.profile)}): remove it, or use args for extra arguments` }]
  }
  return []
}

/** The caller's tools and each of its commands' narrowed tools, as its agent would receive them. */
function toolProblems (config: JsonObject, base: string, caller: JsonObject, profileName: string): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const callerTools = isObject(caller.tools) ? caller.tools : undefined
  for (const [list, rules] of [['allow', callerTools?.allow], ['deny', callerTools?.deny]] as const) {
    for (const [i, rule] of strings(rules)) {
      if (parseToolRule(rule) === null) problems.push({ path: childPointer(`${base}/tools/${list}`, i), message: `"${rule}" is not a tool rule: write a tool name, optionally with a specifier, e.g. Read, Bash(git status:*), mcp__github` })
    }
  }
  for (const [name, command] of entries(config.commands)) {
    const tools = isObject(command.tools) ? command.tools : undefined
    for (const [list, rules] of [['allow', tools?.allow], ['deny', tools?.deny]] as const) {
      for (const [i, rule] of strings(rules)) {
        if (parseToolRule(rule) === null) problems.push({ path: childPointer(`${childPointer('/commands', name)}/tools/${list}`, i), message: `"${rule}" is not a tool rule` })
      }
    }
  }
  if (problems.length > 0 || !PROFILES.has(profileName)) return problems
  const profile = profileFor(profileName)
  if (profile.toolProblems === undefined) return []
  const sets: Array<{ path: string, tools: { allow: string[], deny: string[] } }> = [
    { path: `${base}/tools`, tools: narrowTools(callerTools as never, undefined) }
  ]
  for (const [i, name] of strings(caller.commands)) {
    const command = objectAt(objectAt(config, 'commands'), name)
    if (isObject(command.tools)) sets.push({ path: childPointer(`${base}/commands`, i), tools: narrowTools(callerTools as never, command.tools as never) })
  }
  for (const { path, tools } of sets) {
    for (const message of profile.toolProblems(tools)) problems.push({ path, message: `${profileName} cannot enforce this: ${message}` })
  }
  return problems
}

function projectProblems (config: JsonObject, base: string, caller: JsonObject): ConfigProblem[] {
  const known = objectAt(config, 'projects')
  return strings(caller.projects).flatMap(([i, name]): ConfigProblem[] => Object.hasOwn(known, name)
    ? []
    : [{ path: childPointer(`${base}/projects`, i), message: `unknown project "${name}": add it under projects:` }])
}

function objectAt (parent: JsonObject, key: string): JsonObject {
  const value = Object.hasOwn(parent, key) ? parent[key] : undefined
  return isObject(value) ? value : {}
}

function entries (value: unknown): Array<[string, JsonObject]> {
  return isObject(value) ? Object.entries(value).filter((e): e is [string, JsonObject] => isObject(e[1])) : []
}

function strings (value: unknown): Array<[number, string]> {
  return Array.isArray(value) ? value.flatMap((v, i): Array<[number, string]> => typeof v === 'string' ? [[i, v]] : []) : []
}
