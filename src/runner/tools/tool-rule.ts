// hookgate's tool rules are written in Claude Code's syntax (`Read`, `Bash(git log:*)`),
// the most expressive of the agents'; each profile translates the parsed form into its own CLI's
// mechanism and says which rules it cannot express (profile.toolProblems).

/** The built-in tool names hookgate knows how to translate. `mcp__server[__tool]` rules are also accepted. */
export const KNOWN_TOOLS = ['Bash', 'Read', 'Edit', 'MultiEdit', 'Write', 'NotebookEdit', 'Glob', 'Grep', 'LS', 'WebFetch', 'WebSearch', 'Task', 'TodoWrite'] as const
export type KnownTool = (typeof KNOWN_TOOLS)[number]

/** Tools that change files; an agent whose only control is a sandbox mode needs write access for them. */
export const WRITE_TOOLS: ReadonlySet<string> = new Set(['Edit', 'MultiEdit', 'Write', 'NotebookEdit'])
/** Tools that only read (files or the web). */
export const READ_TOOLS: ReadonlySet<string> = new Set(['Read', 'Glob', 'Grep', 'LS', 'WebFetch', 'WebSearch', 'TodoWrite', 'Task'])

export interface ToolRule {
  /** As written. */
  raw: string
  /** `Bash`, `Read`, …, or `mcp__server__tool`. */
  tool: string
  /** What is inside the parentheses, without a trailing `:*`; null for a bare tool name. */
  specifier: string | null
  /** True for `Tool(prefix:*)`: the specifier is a prefix of the command line (whole words). */
  prefix: boolean
  mcp: { server: string, tool: string | null } | null
}

const RULE = /^([A-Za-z][A-Za-z0-9_-]*)(?:\((.*)\))?$/s

/** Null when the text is not a rule at all (the config check reports it). */
export function parseToolRule (raw: string): ToolRule | null {
  const m = RULE.exec(raw.trim())
  if (m === null) return null
  const tool = m[1] as string
  const inner = m[2]
  let specifier: string | null = null
  let prefix = false
  if (inner !== undefined) {
    if (inner.trim() === '') return null
    prefix = inner.endsWith(':*')
    specifier = prefix ? inner.slice(0, -2) : inner
  }
  let mcp: ToolRule['mcp'] = null
  if (tool.startsWith('mcp__')) {
    const [server = '', ...rest] = tool.slice(5).split('__')
    if (server === '') return null
    mcp = { server, tool: rest.length > 0 ? rest.join('__') : null }
  }
  return { raw, tool, specifier, prefix, mcp }
}

/** Parsed rules; unparsable ones are left out (the config check has already refused them). */
export function parseToolRules (rules: readonly string[] | undefined): ToolRule[] {
  return (rules ?? []).flatMap((r) => {
    const parsed = parseToolRule(r)
    return parsed === null ? [] : [parsed]
  })
}

export function isKnownTool (tool: string): tool is KnownTool {
  return (KNOWN_TOOLS as readonly string[]).includes(tool)
}
