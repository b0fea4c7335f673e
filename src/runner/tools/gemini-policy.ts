// hookgate's tool rules (Claude Code syntax) as a Gemini CLI policy file, passed with
// `--policy`. Gemini loads such a file in its user tier and, given `--policy`, skips ~/.gemini/policies,
// so these rules outrank workspace and built-in policies and the settings-file tool lists. A tool no
// rule names keeps Gemini's default (reads run, anything else is an "ask", which headless is a deny),
// unless a trusted folder's own settings allow it. A rule Gemini cannot express is reported by
// `geminiToolProblems` and never silently dropped: a policy file that fails Gemini's own checks is
// ignored by it as a whole, which would turn every deny into nothing.
import type { ToolRules } from '../profiles/profile.ts'
import { isKnownTool, parseToolRule, type KnownTool, type ToolRule } from './tool-rule.ts'

export const GEMINI_POLICY_FILE = 'hookgate-policy.toml'

/** Within one tier the higher priority wins (0–999): every deny outranks every allow. */
export const GEMINI_DENY_PRIORITY = 999
export const GEMINI_ALLOW_PRIORITY = 500

/** Gemini refuses argument patterns longer than this (isSafeRegExp in its policy loader). */
const MAX_PATTERN_CHARS = 2048

/**
 * Gemini's built-in tool names for each hookgate tool. Claude's Read rules also cover its search tools
 * and Edit rules every file-changing tool, so the mapping follows that. `search_file_content` is the
 * older name of `grep_search` (still accepted as an alias). Null: no Gemini counterpart is known.
 */
const GEMINI_TOOLS: Readonly<Record<KnownTool, readonly string[] | null>> = {
  Bash: ['run_shell_command'],
  Read: ['read_file', 'read_many_files', 'glob', 'grep_search', 'search_file_content', 'list_directory'],
  Glob: ['glob'],
  Grep: ['grep_search', 'search_file_content'],
  LS: ['list_directory'],
  Edit: ['replace', 'write_file'],
  MultiEdit: ['replace', 'write_file'],
  Write: ['replace', 'write_file'],
  // Gemini has no notebook tool: a deny has nothing to block, an allow nothing to grant.
  NotebookEdit: [],
  WebFetch: ['web_fetch'],
  WebSearch: ['google_web_search'],
  TodoWrite: ['write_todos'],
  // Gemini runs subagents as tools named after each agent (codebase_investigator, …), not one tool.
  Task: null
}

export interface GeminiPolicyRule {
  toolName?: string | readonly string[]
  mcpName?: string
  commandPrefix?: string
  commandRegex?: string
  decision: 'allow' | 'deny'
  priority: number
}

type Translation = { rules: GeminiPolicyRule[] } | { problem: string }

/** Sentences for the config check; empty when the file would enforce every rule. */
export function geminiToolProblems (tools: ToolRules): string[] {
  return translateAll(tools).problems
}

/** The policy file, or null when there are no rules. Throws when a rule cannot be expressed. */
export function geminiPolicyToml (tools: ToolRules): string | null {
  const { rules, problems } = translateAll(tools)
  if (problems.length > 0) throw new Error(`tool rules Gemini CLI cannot enforce: ${problems.join(' ')}`)
  return rules.length === 0 ? null : renderPolicy(rules)
}

function translateAll (tools: ToolRules): { rules: GeminiPolicyRule[], problems: string[] } {
  const rules: GeminiPolicyRule[] = []
  const problems: string[] = []
  const each = (list: readonly string[] | undefined, decision: 'allow' | 'deny'): void => {
    for (const raw of list ?? []) {
      const result = translate(raw, decision)
      if ('problem' in result) problems.push(result.problem)
      else rules.push(...result.rules)
    }
  }
  each(tools.deny, 'deny')
  each(tools.allow, 'allow')
  return { rules, problems }
}

function translate (raw: string, decision: 'allow' | 'deny'): Translation {
  const rule = parseToolRule(raw)
  if (rule === null) return { problem: `"${raw}" is not a tool rule.` }
  if (!raw.isWellFormed()) return { problem: `"${rule.tool}" rule contains text a policy file cannot hold (a lone surrogate).` }
  const priority = decision === 'deny' ? GEMINI_DENY_PRIORITY : GEMINI_ALLOW_PRIORITY
  if (rule.mcp !== null) return mcpRule(rule, decision, priority)
  if (!isKnownTool(rule.tool)) return { problem: `"${raw}": Gemini CLI has no counterpart known for tool "${rule.tool}".` }
  const names = GEMINI_TOOLS[rule.tool]
  if (names === null) {
    // Allowing is harmless to drop (nothing runs that was not allowed); denying is not.
    return decision === 'allow' ? { rules: [] } : { problem: `"${raw}": Gemini CLI names each subagent as a tool of its own, so "${rule.tool}" cannot be denied as a whole.` }
  }
  if (rule.tool === 'Bash' && rule.specifier !== null) return shellRule(rule, decision, priority)
  if (rule.specifier !== null) {
    return { problem: `"${raw}": Gemini CLI policy rules cannot express the "${rule.specifier}" specifier of ${rule.tool}; use the bare tool name.` }
  }
  if (names.length === 0) return { rules: [] }
  return { rules: [{ toolName: names.length === 1 ? names[0] as string : names, decision, priority }] }
}

function shellRule (rule: ToolRule, decision: 'allow' | 'deny', priority: number): Translation {
  const spec = rule.specifier ?? ''
  if (spec.trim() === '') return { problem: `"${rule.raw}" has an empty command.` }
  // Claude's newer `Bash(npm run *)` wildcards have no equivalent in commandPrefix/commandRegex.
  if (spec.includes('*')) return { problem: `"${rule.raw}": Gemini CLI shell rules cannot express "*" inside a command; use "Bash(prefix:*)".` }
  const json = JSON.stringify(spec).slice(1, -1)
  // Gemini turns commandPrefix into `"command":"<prefix>(?:[\s"]|\\")` (whole words, like Claude's
  // `:*`); an exact command is the same prefix closed by the JSON string's end quote.
  const pattern = rule.prefix
    ? `"command":"${escapeRegex(json)}(?:[\\s"]|\\\\")`
    : `"command":"${escapeRegex(json)}"`
  if (pattern.length > MAX_PATTERN_CHARS) return { problem: `"${rule.raw}": the command is too long for a Gemini CLI policy rule.` }
  return {
    rules: [rule.prefix
      ? { toolName: 'run_shell_command', commandPrefix: spec, decision, priority }
      : { toolName: 'run_shell_command', commandRegex: `${escapeRegex(json)}"`, decision, priority }]
  }
}

function mcpRule (rule: ToolRule, decision: 'allow' | 'deny', priority: number): Translation {
  const server = rule.mcp?.server ?? ''
  const tool = rule.mcp?.tool ?? null
  // Gemini splits `mcp_<server>_<tool>` at the first underscore after the prefix (its policy docs).
  if (server.includes('_')) return { problem: `"${rule.raw}": Gemini CLI cannot address MCP server "${server}" in a policy rule because its name contains "_".` }
  if (rule.specifier !== null) return { problem: `"${rule.raw}": MCP rules take no specifier.` }
  return { rules: [{ mcpName: server, ...(tool === null ? {} : { toolName: tool }), decision, priority }] }
}

/** Gemini's own escapeRegex (policy/utils.ts), so the pattern matches exactly what its prefix form would. */
function escapeRegex (text: string): string {
  return text.replace(/[-[\]{}()*+?.,\\^$|#\s"]/g, '\\$&')
}

export function renderPolicy (rules: readonly GeminiPolicyRule[]): string {
  const blocks = rules.map((rule) => {
    const lines = ['[[rule]]']
    if (rule.mcpName !== undefined) lines.push(`mcpName = ${tomlString(rule.mcpName)}`)
    if (rule.toolName !== undefined) {
      lines.push(`toolName = ${typeof rule.toolName === 'string' ? tomlString(rule.toolName) : `[${rule.toolName.map(tomlString).join(', ')}]`}`)
    }
    if (rule.commandPrefix !== undefined) lines.push(`commandPrefix = ${tomlString(rule.commandPrefix)}`)
    if (rule.commandRegex !== undefined) lines.push(`commandRegex = ${tomlString(rule.commandRegex)}`)
    lines.push(`decision = "${rule.decision}"`, `priority = ${rule.priority}`)
    return lines.join('\n')
  })
  return `# Tool rules for one hookgate run; deny rules outrank allow rules.\n\n${blocks.join('\n\n')}\n`
}

/**
 * A TOML basic string. JSON's escapes are a subset of TOML's; DEL is the one control character JSON
 * leaves raw and TOML refuses. Lone surrogates are refused before this point.
 */
function tomlString (value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007F')
}
