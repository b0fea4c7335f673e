// hookgate's tool rules (Claude Code syntax) as Copilot CLI flags: permission patterns
// `Kind(argument)` for --allow-tool/--deny-tool (kinds shell, write, read, url, memory and MCP server
// names), and --excluded-tools for the tools no permission kind covers. A deny always wins in Copilot,
// as in hookgate. Reads, searches and read-only shell commands inside the working directory run without
// any permission in Copilot, so allowing them needs no flag; denying them does.
import type { ToolRules } from '../profiles/profile.ts'
import { isKnownTool, parseToolRule, type KnownTool, type ToolRule } from './tool-rule.ts'

type Decision = 'allow' | 'deny'

/** How each hookgate tool is expressed: a permission kind, or tool names to hide from the model. */
type Mapping = { kind: 'shell' | 'write' | 'read' | 'url' } | { exclude: readonly string[] } | { unsupported: string }

const MAPPINGS: Readonly<Record<KnownTool, Mapping>> = {
  Bash: { kind: 'shell' },
  // Claude's Read rules cover its search tools too; Copilot's `read` kind covers file and directory reads.
  Read: { kind: 'read' },
  Glob: { exclude: ['glob'] },
  // Some models get the search tool as `rg`.
  Grep: { exclude: ['grep', 'rg'] },
  LS: { unsupported: 'Copilot CLI lists directories with its file viewer, so LS cannot be denied without denying Read' },
  // Claude's Edit rules cover every file-changing tool; Copilot's `write` kind is the same set.
  Edit: { kind: 'write' },
  MultiEdit: { kind: 'write' },
  Write: { kind: 'write' },
  NotebookEdit: { kind: 'write' },
  // The `url` kind covers fetching by the web tool and by shell commands.
  WebFetch: { kind: 'url' },
  WebSearch: { exclude: ['web_search'] },
  Task: { exclude: ['task'] },
  TodoWrite: { exclude: ['update_todo'] }
}

/** Permission kind names: an MCP server with one of these names could not be told apart from the kind. */
const KINDS = new Set(['shell', 'write', 'read', 'url', 'memory'])

/** Characters Copilot's comma-separated `Kind(argument)` lists cannot carry inside an argument. */
const UNSAFE_ARGUMENT = /[,()]/

interface Flags {
  allow: string[]
  deny: string[]
  exclude: string[]
  problems: string[]
}

/** Sentences for the config check; empty when the flags enforce every rule. */
export function copilotToolProblems (tools: ToolRules): string[] {
  return translateAll(tools).problems
}

/**
 * One `--allow-tool=<pattern>` / `--deny-tool=<pattern>` per rule and one `--excluded-tools=<list>`, in
 * the `=` form: these options take several values, and a value of their own must never swallow the
 * next argument. Throws when a rule cannot be expressed.
 */
export function copilotToolFlags (tools: ToolRules): string[] {
  const { allow, deny, exclude, problems } = translateAll(tools)
  if (problems.length > 0) throw new Error(`tool rules Copilot CLI cannot enforce: ${problems.join(' ')}`)
  return [
    ...unique(allow).map((p) => `--allow-tool=${p}`),
    ...unique(deny).map((p) => `--deny-tool=${p}`),
    ...(exclude.length === 0 ? [] : [`--excluded-tools=${unique(exclude).join(',')}`])
  ]
}

function translateAll (tools: ToolRules): Flags {
  const flags: Flags = { allow: [], deny: [], exclude: [], problems: [] }
  for (const raw of tools.deny ?? []) translate(raw, 'deny', flags)
  for (const raw of tools.allow ?? []) translate(raw, 'allow', flags)
  return flags
}

function translate (raw: string, decision: Decision, flags: Flags): void {
  const rule = parseToolRule(raw)
  if (rule === null) {
    flags.problems.push(`"${raw}" is not a tool rule.`)
    return
  }
  const pattern = rule.mcp !== null ? mcpPattern(rule) : builtinPattern(rule, decision)
  if ('problem' in pattern) flags.problems.push(pattern.problem)
  // Tools without a permission kind run unasked: allowing them needs nothing, denying hides them.
  else if ('exclude' in pattern) flags.exclude.push(...(decision === 'deny' ? pattern.exclude : []))
  else if (pattern.pattern !== null) flags[decision].push(pattern.pattern)
}

type Pattern = { pattern: string | null } | { exclude: readonly string[] } | { problem: string }

function builtinPattern (rule: ToolRule, decision: Decision): Pattern {
  if (!isKnownTool(rule.tool)) return { problem: `"${rule.raw}": Copilot CLI has no counterpart known for tool "${rule.tool}".` }
  const mapping = MAPPINGS[rule.tool]
  if ('unsupported' in mapping) return decision === 'allow' ? { pattern: null } : { problem: `"${rule.raw}": ${mapping.unsupported}.` }
  if ('exclude' in mapping) {
    return rule.specifier === null ? { exclude: mapping.exclude } : { problem: `"${rule.raw}": Copilot CLI cannot limit ${rule.tool} to "${rule.specifier}"; use the bare tool name.` }
  }
  if (mapping.kind === 'shell' && rule.specifier !== null) return shellPattern(rule, decision)
  if (mapping.kind === 'url' && rule.specifier !== null) return urlPattern(rule)
  if (rule.specifier !== null) {
    // Copilot's path patterns (`write(src/*.ts)`) are not Claude's gitignore-style paths.
    return { problem: `"${rule.raw}": Copilot CLI path patterns differ from Claude's, so "${rule.specifier}" is not translated; use the bare tool name.` }
  }
  // Reads need no permission in Copilot: `--allow-tool=read` could only widen what runs unasked.
  if (mapping.kind === 'read' && decision === 'allow') return { pattern: null }
  return { pattern: mapping.kind }
}

function shellPattern (rule: ToolRule, decision: Decision): Pattern {
  const spec = rule.specifier ?? ''
  if (spec.trim() === '') return { problem: `"${rule.raw}" has an empty command.` }
  if (UNSAFE_ARGUMENT.test(spec)) return { problem: `"${rule.raw}": a Copilot CLI shell pattern cannot contain ",", "(" or ")".` }
  if (spec.includes('*')) return { problem: `"${rule.raw}": Copilot CLI shell patterns only know a trailing ":*"; use "Bash(prefix:*)".` }
  if (rule.prefix) return { pattern: `shell(${spec}:*)` }
  // Copilot's docs deny "git push" with `shell(git push)` next to an allowed `shell(git:*)`, which
  // suggests the exact form also matches the command with more arguments: wider than Claude's exact
  // match. As a deny that only blocks more; as an allow it could let more run than the rule says.
  if (decision === 'allow') return { problem: `"${rule.raw}": Copilot CLI may match "${spec}" with any further arguments; write "Bash(${spec}:*)" if that is meant.` }
  return { pattern: `shell(${spec})` }
}

function urlPattern (rule: ToolRule): Pattern {
  const spec = rule.specifier ?? ''
  const domain = spec.startsWith('domain:') ? spec.slice('domain:'.length) : null
  if (domain === null || domain.trim() === '' || UNSAFE_ARGUMENT.test(domain)) {
    return { problem: `"${rule.raw}": only "WebFetch(domain:<host>)" can be expressed for Copilot CLI.` }
  }
  return { pattern: `url(${domain})` }
}

function mcpPattern (rule: ToolRule): Pattern {
  const server = rule.mcp?.server ?? ''
  const tool = rule.mcp?.tool ?? null
  if (rule.specifier !== null) return { problem: `"${rule.raw}": MCP rules take no specifier.` }
  if (KINDS.has(server)) return { problem: `"${rule.raw}": MCP server "${server}" has the name of a Copilot CLI permission kind.` }
  return { pattern: tool === null ? server : `${server}(${tool})` }
}

function unique (values: readonly string[]): string[] {
  return [...new Set(values)]
}
