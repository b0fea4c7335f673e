// OpenAI Codex CLI headless: `codex exec --json`, one process per prompt; a session is
// continued by `codex exec resume <id>`, which keeps the id. `exec` never asks for approval: the
// sandbox mode is the only control, so tool rules become a sandbox mode plus the rules it cannot keep.
import { createCodexParser } from '../parsers/codex-parser.ts'
import { stripAnsi } from '../strip-ansi.ts'
import { isKnownTool, parseToolRules, WRITE_TOOLS, type ToolRule } from '../tools/tool-rule.ts'
import { fitsInArgv, type AgentInvocation, type AgentProfile, type ProfileInput, type ToolRules } from './profile.ts'

/** danger-full-access and the bypass flag are never used: the sandbox is the only wall Codex has. */
export type CodexSandbox = 'read-only' | 'workspace-write'

export const codexProfile: AgentProfile = {
  name: 'codex',
  defaultCommand: 'codex',
  sessions: 'reveal',
  // Without network Codex retries forever, printing nothing useful.
  defaultIdleSeconds: 600,
  reportsResult: true,
  // The report: the answer, the turn's outcome and errors.
  keepPastCap: ['"type":"agent_message"', '"type":"turn.completed"', '"type":"turn.failed"', '"type":"error"'],
  invocation: codexInvocation,
  createParser: createCodexParser,
  // "Error: thread/resume: thread/resume failed: no rollout found for thread id … (code -32600)", exit 1.
  sessionMissing: ({ stderrTail, exitCode }) => exitCode !== 0 && /no rollout found for thread id/i.test(stripAnsi(stderrTail)),
  toolProblems: codexToolProblems
}

/**
 * `codex exec [args] --color never --sandbox M [resume] --json --skip-git-repo-check … -- [ID] PROMPT`.
 * The user's `args` go right after `exec`: a root-level `-m` before `exec` is silently dropped by
 * Codex (only `-c` and feature toggles reach `exec` from the root). `--color` and `--sandbox` are
 * options of `exec` itself, which `exec resume` refuses after its own name, so they come before it;
 * the rest are global and valid after `resume` too (`codex exec resume --help`).
 */
export function codexInvocation ({ agent, prompt, tools, session, homeDir }: ProfileInput): AgentInvocation {
  const inArgv = fitsInArgv(prompt)
  const resumeId = session?.mode === 'resume' ? session.id : null
  const argv = [
    agent.command,
    'exec',
    ...agent.args,
    '--color', 'never',
    '--sandbox', codexSandbox(tools),
    ...(resumeId === null ? [] : ['resume']),
    '--json',
    // The operator chose the working directory; the check only guards people typing `codex` in the
    // wrong place, and refuses any directory that is neither a git repository nor trusted.
    '--skip-git-repo-check',
    ...codexContainmentFlags(agent.trust_repo),
    // After `--` the session id and the prompt are positionals whatever they start with. `-` makes
    // Codex read the prompt from stdin (too big for one argument).
    '--',
    ...(resumeId === null ? [] : [resumeId]),
    inArgv ? prompt : '-'
  ]
  return {
    argv,
    ...(inArgv ? {} : { input: prompt }),
    // Sessions, auth and config per caller: concurrent callers never share ~/.codex.
    ...(homeDir === null ? {} : { env: { CODEX_HOME: homeDir } })
  }
}

/**
 * Codex reads a repository's `.codex/` (config.toml, hooks) only when the project is trusted, and
 * trust lives in `$CODEX_HOME/config.toml`. Untrusted: `--trust` is never passed, and
 * `--ignore-rules` also skips execpolicy `.rules` files, which are read even in untrusted projects
 * (openai/codex#10389) and could let commands run outside the sandbox. `--ignore-user-config` is
 * not used: it drops the operator's own settings (provider, model) rather than anything from the
 * repository. Not preventable here: a project someone already trusted in a shared CODEX_HOME stays
 * trusted, and AGENTS.md in the repository is always read (as instructions, not code).
 * Trusted: `--trust` records the trust in CODEX_HOME, so the project's config and hooks load (and
 * keep loading for later runs with the same CODEX_HOME).
 */
export function codexContainmentFlags (trustRepo: boolean): string[] {
  return trustRepo ? ['--trust'] : ['--ignore-rules']
}

/** read-only unless an allowed (and not outright denied) tool has to write files. */
export function codexSandbox (tools: ToolRules): CodexSandbox {
  const deny = parseToolRules(tools.deny)
  const writes = parseToolRules(tools.allow).some((rule) => needsWrite(rule) && !deny.some((d) => d.tool === rule.tool && d.specifier === null))
  return writes ? 'workspace-write' : 'read-only'
}

/** Edit-like tools, and a shell allowed to run anything (which includes writing). */
function needsWrite (rule: ToolRule): boolean {
  return WRITE_TOOLS.has(rule.tool) || (rule.tool === 'Bash' && rule.specifier === null)
}

export function codexToolProblems (tools: ToolRules): string[] {
  const sandbox = codexSandbox(tools)
  const problems: string[] = []
  for (const rule of parseToolRules(tools.allow)) {
    const why = allowProblem(rule, sandbox)
    if (why !== null) problems.push(`Codex cannot keep the allow rule "${rule.raw}": ${why}.`)
  }
  for (const rule of parseToolRules(tools.deny)) {
    const why = denyProblem(rule, sandbox)
    if (why !== null) problems.push(`Codex cannot keep the deny rule "${rule.raw}": ${why}.`)
  }
  return problems
}

function shellReach (sandbox: CodexSandbox): string {
  return sandbox === 'read-only'
    ? 'the read-only sandbox only stops commands that write files or use the network'
    : 'the workspace-write sandbox lets every command write in the workspace'
}

function allowProblem (rule: ToolRule, sandbox: CodexSandbox): string | null {
  if (rule.mcp !== null) return null
  if (rule.tool === 'Bash' && rule.specifier !== null) return `it cannot limit its shell to some commands, so it may run any command; ${shellReach(sandbox)}`
  if (WRITE_TOOLS.has(rule.tool) && rule.specifier !== null) return 'it cannot limit edits to some paths; the workspace-write sandbox lets it write anywhere in the workspace'
  if (rule.tool === 'WebFetch') return 'it has no fetch tool, and its sandbox keeps commands off the network'
  if (rule.tool === 'WebSearch') return 'its own `web_search` setting decides whether it can search; hookgate does not change it'
  if (!isKnownTool(rule.tool)) return `it has no tool like ${rule.tool}`
  return null
}

function denyProblem (rule: ToolRule, sandbox: CodexSandbox): string | null {
  if (rule.mcp !== null) return 'it runs the tools of every MCP server in its config and cannot switch one off per run'
  if (rule.tool === 'Bash') return `its shell cannot be switched off or limited by command; ${shellReach(sandbox)}`
  if (WRITE_TOOLS.has(rule.tool)) {
    return sandbox === 'read-only' ? null : 'another allow rule needs the workspace-write sandbox, which lets Codex change any file in the workspace'
  }
  if (['Read', 'Glob', 'Grep', 'LS'].includes(rule.tool)) return 'it can always read files (both sandbox modes allow reading)'
  if (rule.tool === 'WebSearch') return 'its own `web_search` setting decides whether it can search; hookgate does not change it'
  if (rule.tool === 'Task' || rule.tool === 'TodoWrite') return 'its own planning and sub-agent tools cannot be switched off per run'
  // WebFetch: there is no such tool, and commands are kept off the network; unknown tools do not exist.
  return null
}
