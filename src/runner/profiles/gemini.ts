// Google Gemini CLI headless: `gemini --output-format stream-json --prompt=<text>`, tool
// rules as a policy file, sessions named by us with --session-id and continued with --resume.
import { join } from 'node:path'
import { createGeminiParser } from '../parsers/gemini-parser.ts'
import { GEMINI_POLICY_FILE, geminiPolicyToml, geminiToolProblems } from '../tools/gemini-policy.ts'
import { fitsInArgv, type AgentInvocation, type AgentProfile, type ProfileInput, type SessionPlan } from './profile.ts'

/**
 * `--approval-mode default` on the command line outranks a `defaultApprovalMode` in any settings file
 * (a repository's included), so only the policy file decides what runs without asking; headless, every
 * "ask" is a deny. Never yolo, never auto_edit.
 */
export const GEMINI_FLAGS = ['--output-format', 'stream-json', '--approval-mode', 'default'] as const

/**
 * For a repository that is not trusted. Gemini's own folder trust does the main work: without
 * --skip-trust (and with the trust variables forced off, see `containmentEnv`) an untrusted folder's
 * `.gemini/settings.json` (and the hooks in it), `.env`, custom commands, project agents and MCP
 * servers are not loaded, and with folder trust on (the default of recent releases) headless Gemini
 * then refuses to start at all (stderr "Gemini CLI is not running in a trusted directory", exit 55):
 * the run fails, it does not run unconfined. What this cannot prevent: a folder the agent's home lists
 * in trustedFolders.json, or any folder when the home's settings turn folder trust off, is loaded in
 * full, GEMINI.md context files included (no flag keeps those out); then only the two flags below still
 * hold. `-e none` turns off every extension (older releases also loaded them from
 * `<repo>/.gemini/extensions`), and a blank name as the only `--allowed-mcp-server-names` allows no MCP
 * server at all (an allowlist left empty once blank names are dropped blocks every server); both act
 * by name, not by origin, so the user's own extensions and servers are off too.
 */
export const GEMINI_CONTAINMENT_FLAGS = ['--extensions', 'none', '--allowed-mcp-server-names', ''] as const

export const geminiProfile: AgentProfile = {
  name: 'gemini',
  defaultCommand: 'gemini',
  sessions: 'choose',
  // Unlike Codex and OpenCode, Gemini is not known to retry forever; a hang is left to `timeout`.
  defaultIdleSeconds: 0,
  reportsResult: true,
  // The report: the answer's messages and the result.
  keepPastCap: ['"type":"message"', '"type":"result"'],
  env: {
    // Otherwise the CLI re-spawns itself with a larger heap and the model call runs in that child.
    GEMINI_CLI_NO_RELAUNCH: 'true',
    // A missing login must fail with a message, never try to open a browser on the gateway's host.
    NO_BROWSER: 'true'
  },
  invocation: geminiInvocation,
  createParser: createGeminiParser,
  // An unknown id prints "Error resuming session: …" and exits 42 (FatalInputError).
  sessionMissing: ({ stderrTail, exitCode }) => exitCode === 42 && stderrTail.includes('Error resuming session'),
  toolProblems: geminiToolProblems
}

export function geminiInvocation ({ agent, prompt, tools, session, scratchDir, homeDir }: ProfileInput): AgentInvocation {
  const policy = geminiPolicyToml(tools)
  const argv = [
    agent.command,
    // The user's own flags come first: nothing of ours can be taken as their value.
    ...agent.args,
    ...GEMINI_FLAGS,
    ...geminiSessionFlags(session),
    ...(agent.trust_repo ? ['--skip-trust'] : GEMINI_CONTAINMENT_FLAGS),
    ...(policy === null ? [] : ['--policy', join(scratchDir, GEMINI_POLICY_FILE)])
  ]
  const env = {
    ...(agent.trust_repo ? {} : containmentEnv()),
    // GEMINI_CLI_HOME replaces the home directory for everything the CLI keeps (~/.gemini: settings,
    // logins, trusted folders, session transcripts), so each caller's agent state stays apart.
    ...(homeDir === null ? {} : { GEMINI_CLI_HOME: homeDir })
  }
  const base = {
    ...(policy === null ? {} : { files: { [GEMINI_POLICY_FILE]: policy } }),
    ...(Object.keys(env).length === 0 ? {} : { env })
  }
  // `--prompt=<text>` as ONE argument: `-p -x` fails with "Not enough arguments following: p".
  // A prompt too big for argv goes on stdin, which headless Gemini reads as the
  // prompt when stdin is not a terminal (up to 8 MB); -p would only be appended to it, so none
  // is given and the prompt arrives exactly as sent.
  return fitsInArgv(prompt) ? { ...base, argv: [...argv, `--prompt=${prompt}`] } : { ...base, argv, input: prompt }
}

/** A new session gets the id we chose (so a crash before `init` still leaves a known id); else resume. */
export function geminiSessionFlags (session: SessionPlan | null): string[] {
  if (session === null) return []
  if (session.mode === 'resume') return ['--resume', session.id]
  return session.id === undefined ? [] : ['--session-id', session.id]
}

/**
 * Both spellings the CLI has used for "trust this workspace" forced off, so a variable passed through
 * `agent.env` cannot trust the repository behind `trust_repo: false`.
 */
function containmentEnv (): Record<string, string> {
  return { GEMINI_CLI_TRUST_WORKSPACE: 'false', GEMINI_TRUST_WORKSPACE: 'false' }
}
