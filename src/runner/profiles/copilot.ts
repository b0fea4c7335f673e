// GitHub Copilot CLI headless: `copilot --output-format json --prompt=<text>`, tool rules
// as --allow-tool/--deny-tool patterns, sessions named by us with --session-id and continued with
// --resume=<id>.
import { copilotToolFlags, copilotToolProblems } from '../tools/copilot-tool-flags.ts'
import { createCopilotParser } from '../parsers/copilot-parser.ts'
import { fitsInArgv, type AgentInvocation, type AgentProfile, type ProfileInput, type SessionPlan } from './profile.ts'

/**
 * JSONL output; no self-update (it would otherwise download a newer CLI and run that); plain
 * output; no ask_user tool, whose questions nobody could answer in a headless run. Nothing here
 * grants a permission: --allow-all-tools, --allow-all and --yolo are never passed, so whatever needs a
 * permission that no --allow-tool gives is refused (`error.code: "denied"`).
 */
export const COPILOT_FLAGS = ['--output-format', 'json', '--no-auto-update', '--no-color', '--no-ask-user'] as const

/**
 * For a repository that is not trusted. A folder's own configuration (hooks in `.github/hooks`,
 * skills, custom agents, MCP servers from `.github/mcp.json`, `.mcp.json` or `.vscode/mcp.json`) is
 * trusted configuration; by Copilot's help, --trust-folder is what makes prompt mode trust the working
 * directory's configuration, so it is passed only with `trust_repo: true`. --no-custom-instructions
 * also keeps AGENTS.md and the other instruction files out of the prompt, whatever trust would have
 * covered. What this cannot prevent: a folder already listed in the home's `trusted_folders` (saved by
 * an interactive login in a shared home) is loaded in full, and no flag removes a saved trust.
 * --disable-builtin-mcps is not passed: those servers ship with the CLI, not with the repository, and
 * every MCP tool call needs a permission that a headless run only gets from an --allow-tool rule.
 */
export const COPILOT_CONTAINMENT_FLAGS = ['--no-custom-instructions'] as const

export const copilotProfile: AgentProfile = {
  name: 'copilot',
  defaultCommand: 'copilot',
  sessions: 'choose',
  defaultIdleSeconds: 0,
  reportsResult: true,
  // The report: the last message, errors and the result.
  keepPastCap: ['"type":"assistant.message"', '"type":"session.error"', '"type":"result"'],
  env: { COPILOT_AUTO_UPDATE: 'false' },
  invocation: copilotInvocation,
  createParser: createCopilotParser,
  sessionMissing: ({ report, stderrTail, exitCode }) => report === null && exitCode !== 0 && COPILOT_SESSION_MISSING.test(stderrTail),
  toolProblems: copilotToolProblems
}

/**
 * What Copilot prints for --resume of an id it does not know ("Error: No session, task, or name
 * matched '<id>'."). The reference capture does not show this case; the wording is the one Copilot
 * users report, and the fake CLI prints it the same way.
 */
export const COPILOT_SESSION_MISSING = /No session, task, or name matched/

export function copilotInvocation ({ agent, prompt, tools, session, homeDir }: ProfileInput): AgentInvocation {
  const argv = [
    agent.command,
    // The user's own flags come first: nothing of ours can be taken as their value.
    ...agent.args,
    ...COPILOT_FLAGS,
    ...copilotSessionFlags(session),
    ...(agent.trust_repo ? ['--trust-folder'] : COPILOT_CONTAINMENT_FLAGS),
    ...copilotToolFlags(tools)
  ]
  // COPILOT_HOME moves everything ~/.copilot holds (config, logins, session state, trusted folders).
  const base = homeDir === null ? {} : { env: { COPILOT_HOME: homeDir } }
  // `--prompt=<text>` as ONE argument, so a prompt starting with "-" is never read as an option. A
  // prompt too big for argv is piped on stdin WITHOUT -p: Copilot takes piped stdin as the prompt of a
  // non-interactive run (its help lists piped stdin next to -p as a prompt source), while with -p it
  // ignores stdin. This path was not part of the reference capture.
  return fitsInArgv(prompt) ? { ...base, argv: [...argv, `--prompt=${prompt}`] } : { ...base, argv, input: prompt }
}

/**
 * A new session gets the id we chose (Copilot otherwise names it only on the last line). `--resume`
 * takes an optional value, so the id is attached with "=" and cannot be mistaken for anything else.
 */
export function copilotSessionFlags (session: SessionPlan | null): string[] {
  if (session === null) return []
  if (session.mode === 'resume') return [`--resume=${session.id}`]
  return session.id === undefined ? [] : ['--session-id', session.id]
}
