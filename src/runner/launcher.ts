// How an agent process is started, behind one small interface: today execa on the main thread; a
// launcher process or worker thread can replace it without touching the runner, the registry or routes.

export interface LaunchSpec {
  /** argv[0] is the executable (looked up on PATH); never run through a shell. */
  argv: readonly string[]
  cwd: string
  /** The complete environment of the child: nothing else is inherited. */
  env: Readonly<Record<string, string>>
  /** Written to stdin and then closed; stdin is ignored (/dev/null) when absent. */
  input?: string
}

export interface LaunchedProcess {
  readonly pid: number | undefined
  /** stdout and stderr, line by line, in arrival order. Ends when both pipes close. */
  readonly lines: AsyncIterable<{ stream: 'stdout' | 'stderr', line: string }>
  /** Settles when the process has exited; never rejects. */
  readonly exited: Promise<{ code: number | null, signal: string | null, spawnError: string | null }>
  /** Signal the whole process group (the child is a group leader), so grandchildren get it too. */
  killGroup (signal: NodeJS.Signals): void
}

export interface Launcher {
  launch (spec: LaunchSpec): LaunchedProcess
}
