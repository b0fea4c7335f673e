// OpenCode headless: `opencode run --format json`, the prompt on stdin, the tool rules
// as OpenCode's own `permission` config passed inline for this run only. A session is continued by
// `--session <id>`, which keeps the id.
import { join } from 'node:path'
import { createOpencodeParser } from '../parsers/opencode-parser.ts'
import { stripAnsi } from '../strip-ansi.ts'
import { parseToolRules, type KnownTool, type ToolRule } from '../tools/tool-rule.ts'
import type { AgentInvocation, AgentProfile, ProfileInput, ToolRules } from './profile.ts'

type Action = 'allow' | 'ask' | 'deny'
/** OpenCode's `permission` config: per permission name, one action or glob pattern → action. */
export type OpencodePermission = Record<string, Action | Record<string, Action>>

/** OpenCode's permission names for hookgate's (Claude Code's) tool names. */
const PERMISSION_NAMES: Readonly<Record<KnownTool, readonly string[]>> = {
  Bash: ['bash'],
  Read: ['read'],
  Edit: ['edit'],
  MultiEdit: ['edit'],
  Write: ['edit'],
  NotebookEdit: ['edit'],
  Glob: ['glob'],
  Grep: ['grep'],
  LS: ['list'],
  WebFetch: ['webfetch'],
  WebSearch: ['websearch'],
  Task: ['task'],
  TodoWrite: ['todowrite', 'todoread']
}

/**
 * Settings for a repository the agent must not take configuration from: no project `opencode.json`
 * or `.opencode/` (agents, commands, custom tools, plugins, MCP servers, instructions), and no
 * `.claude/` skills or CLAUDE.md, which OpenCode also reads.
 */
const UNTRUSTED_REPO_ENV: Readonly<Record<string, string>> = {
  OPENCODE_DISABLE_PROJECT_CONFIG: '1',
  OPENCODE_DISABLE_CLAUDE_CODE: '1'
}

export const opencodeProfile: AgentProfile = {
  name: 'opencode',
  defaultCommand: 'opencode',
  sessions: 'reveal',
  // It retries network errors forever and prints nothing meanwhile.
  defaultIdleSeconds: 600,
  reportsResult: true,
  // The report is built from steps, texts, errors and the closing `done`.
  keepPastCap: ['"type":"text"', '"type":"step_finish"', '"type":"error"', '"type":"done"'],
  // The gateway owns upgrades; the model list fetch at every start is traffic the run does not need.
  env: { OPENCODE_DISABLE_AUTOUPDATE: '1', OPENCODE_DISABLE_MODELS_FETCH: '1' },
  invocation: opencodeInvocation,
  createParser: createOpencodeParser,
  // "Error: Session not found" in colour whatever NO_COLOR says, exit 1.
  sessionMissing: ({ stderrTail, exitCode }) => exitCode !== 0 && /\bSession not found\b/i.test(stripAnsi(stderrTail)),
  toolProblems: opencodeToolProblems
}

/**
 * `opencode run [args] --format json [--session=ID] [--pure]`, the prompt on stdin. Never in argv:
 * `run` wraps every message argument containing a space in double quotes and escapes the quotes in
 * it (opencode PR #4979, "preserve argument boundaries"), so no argv form arrives verbatim; piped
 * stdin becomes the message as it is, whatever its size.
 */
export function opencodeInvocation ({ agent, prompt, tools, session, homeDir }: ProfileInput): AgentInvocation {
  const argv = [
    agent.command,
    'run',
    ...agent.args,
    '--format', 'json',
    // `=` keeps the id one value whatever it starts with.
    ...(session?.mode === 'resume' ? [`--session=${session.id}`] : []),
    // No external plugins (npm packages named in any config).
    ...(agent.trust_repo ? [] : ['--pure'])
  ]
  return {
    argv,
    input: prompt,
    env: {
      OPENCODE_CONFIG_CONTENT: JSON.stringify(opencodeConfig(tools, agent.trust_repo)),
      ...(agent.trust_repo ? {} : UNTRUSTED_REPO_ENV),
      ...(homeDir === null ? {} : opencodeStateDirs(homeDir))
    }
  }
}

/**
 * The inline config, merged over the user's. Untrusted repositories also get no language servers and
 * no formatters, which OpenCode starts on the files it touches and which run the repository's own
 * code (build scripts, `node_modules/.bin/prettier` with the project's plugins). What cannot be
 * prevented: commands the rules allow (`npm test`) run the repository's code anyway.
 */
export function opencodeConfig (tools: ToolRules, trustRepo: boolean): Record<string, unknown> {
  return {
    permission: opencodePermission(tools),
    // Never upload a conversation to opencode.ai, whatever the user's config says.
    share: 'disabled',
    ...(trustRepo ? {} : { lsp: false, formatter: false })
  }
}

/** OpenCode keeps sessions (opencode.db), auth and logs under XDG_DATA_HOME, settings under XDG_CONFIG_HOME. */
export function opencodeStateDirs (homeDir: string): Record<string, string> {
  return {
    XDG_DATA_HOME: join(homeDir, 'data'),
    XDG_CONFIG_HOME: join(homeDir, 'config'),
    XDG_STATE_HOME: join(homeDir, 'state'),
    XDG_CACHE_HOME: join(homeDir, 'cache')
  }
}

/**
 * Among matching rules the LAST one wins. Everything starts as `ask`, which
 * `opencode run` rejects on its own (as Claude -p denies what was not allowed); then the allows;
 * then the denies, each moving its permission name to the end so it comes after every allow that
 * could match the same call (an MCP server's `srv_*` and its tool `srv_drop` are two names).
 */
export function opencodePermission (tools: ToolRules): OpencodePermission {
  const rules = new Map<string, Map<string, Action>>()
  const add = (name: string, patterns: readonly string[], action: Action): void => {
    const existing = rules.get(name) ?? new Map<string, Action>()
    if (action === 'deny') rules.delete(name)
    for (const pattern of patterns) {
      existing.delete(pattern)
      existing.set(pattern, action)
    }
    rules.set(name, existing)
  }
  for (const rule of parseToolRules(tools.allow)) {
    const target = permissionTarget(rule)
    if (target.patterns !== null) for (const name of target.names) add(name, target.patterns, 'allow')
  }
  for (const rule of parseToolRules(tools.deny)) {
    // A deny OpenCode cannot express as patterns denies the whole tool: stricter, never looser.
    const target = permissionTarget(rule)
    for (const name of target.names) add(name, target.patterns ?? ['*'], 'deny')
  }
  const permission: OpencodePermission = { '*': 'ask' }
  for (const [name, patterns] of rules) {
    const only = patterns.get('*')
    permission[name] = patterns.size === 1 && only !== undefined ? only : Object.fromEntries(patterns)
  }
  return permission
}

/** Permission names and patterns for one rule; patterns null when OpenCode has no way to say it. */
function permissionTarget (rule: ToolRule): { names: readonly string[], patterns: readonly string[] | null } {
  // OpenCode names MCP tools `<server>_<tool>`.
  if (rule.mcp !== null) return { names: [`${rule.mcp.server}_${rule.mcp.tool ?? '*'}`], patterns: ['*'] }
  const names = permissionNames(rule.tool)
  if (rule.specifier === null) return { names, patterns: ['*'] }
  if (rule.tool !== 'Bash') return { names, patterns: null }
  // `Bash(git log:*)` is "git log" as whole words: the command itself or it followed by a space.
  return { names, patterns: rule.prefix ? [rule.specifier, `${rule.specifier} *`] : [rule.specifier] }
}

function permissionNames (tool: string): readonly string[] {
  return Object.hasOwn(PERMISSION_NAMES, tool) ? PERMISSION_NAMES[tool as KnownTool] : []
}

export function opencodeToolProblems (tools: ToolRules): string[] {
  const problems: string[] = []
  const deniedEdits = new Set<string>()
  for (const rule of parseToolRules(tools.allow)) {
    const { names, patterns } = permissionTarget(rule)
    if (names.length === 0) problems.push(`OpenCode has no tool like "${rule.raw}"; it stays refused.`)
    else if (patterns === null) problems.push(`OpenCode's ${names.join('/')} rules use its own path patterns, which hookgate does not translate: "${rule.raw}" stays refused.`)
  }
  for (const rule of parseToolRules(tools.deny)) {
    const { names, patterns } = permissionTarget(rule)
    if (names.length > 0 && patterns === null) problems.push(`OpenCode's ${names.join('/')} rules use its own path patterns, which hookgate does not translate: "${rule.raw}" denies all of ${names.join('/')}.`)
    if (names.includes('edit')) deniedEdits.add(rule.tool)
  }
  const allowedEdits = parseToolRules(tools.allow).filter((r) => permissionNames(r.tool).includes('edit') && !deniedEdits.has(r.tool))
  if (deniedEdits.size > 0 && allowedEdits.length > 0) {
    problems.push(`OpenCode has one "edit" permission for Edit, MultiEdit, Write and NotebookEdit: denying ${[...deniedEdits].join(', ')} also denies ${allowedEdits.map((r) => r.raw).join(', ')}.`)
  }
  return problems
}
