// Where each agent CLI looks for credentials (docs/agents.md, each profile's section): variables that
// authenticate it on their own, the variable that moves its home, and the file a login leaves there.
// Doctor only tests whether these exist; it never reads or prints a value.

export interface AuthSources {
  /** Variables that authenticate the CLI by themselves, the usual one first. */
  readonly keys: readonly string[]
  /** The variable that moves the CLI's home (the runner sets it per caller with `state: per_caller`). */
  readonly homeVar: string
  /** The home when `homeVar` is not passed to the agent, relative to $HOME. */
  readonly defaultHome: string
  /** A login's file inside the home; null when not checked. */
  readonly loginFile: string | null
  /** The home inside a caller's directory (`state: per_caller`), when it is not the directory itself. */
  readonly perCallerHome?: string
  /** The command that logs in with the home at `dir`. */
  loginCommand (dir: string): string
  /** No credentials found: `info` where the CLI can work without any. */
  readonly missing: 'warn' | 'info'
}

export const AUTH_SOURCES: Readonly<Record<string, AuthSources>> = {
  claude: {
    keys: ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN'],
    homeVar: 'CLAUDE_CONFIG_DIR',
    defaultHome: '.claude',
    loginFile: '.credentials.json',
    loginCommand: (dir) => `CLAUDE_CONFIG_DIR=${dir} claude (then /login)`,
    missing: 'warn'
  },
  codex: {
    keys: ['CODEX_API_KEY', 'OPENAI_API_KEY'],
    homeVar: 'CODEX_HOME',
    defaultHome: '.codex',
    loginFile: 'auth.json',
    loginCommand: (dir) => `CODEX_HOME=${dir} codex login`,
    missing: 'warn'
  },
  gemini: {
    keys: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    homeVar: 'GEMINI_CLI_HOME',
    defaultHome: '',
    loginFile: '.gemini/oauth_creds.json',
    loginCommand: (dir) => `GEMINI_CLI_HOME=${dir} gemini (then Login with Google)`,
    missing: 'warn'
  },
  copilot: {
    keys: ['COPILOT_GITHUB_TOKEN', 'GH_TOKEN', 'GITHUB_TOKEN'],
    homeVar: 'COPILOT_HOME',
    defaultHome: '.copilot',
    // Where `copilot login` keeps its token depends on the system's keychain: not checked.
    loginFile: null,
    loginCommand: (dir) => `COPILOT_HOME=${dir} copilot login`,
    missing: 'warn'
  },
  opencode: {
    keys: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY', 'OPENROUTER_API_KEY'],
    homeVar: 'XDG_DATA_HOME',
    defaultHome: '.local/share',
    loginFile: 'opencode/auth.json',
    perCallerHome: 'data',
    loginCommand: (dir) => `XDG_DATA_HOME=${dir} opencode auth login`,
    // OpenCode's own hosted default model needs no key.
    missing: 'info'
  }
}
