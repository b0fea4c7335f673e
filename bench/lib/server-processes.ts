// The processes that make up a server: its own and every descendant that is not an agent (a
// spawner process, a sandbox wrapper), never the agents, whose cost is the agent's and the same for
// every contender. Agents are recognised by their command line only, so this holds whichever way a
// server starts them.
import { allStats, descendants, readCmdline, readStat, type ProcStat } from './proc.ts'

/** The agents the bench runs: `printf ok` and the fixtures under bench/fixtures/. */
export function isAgentCommand (cmdline: string): boolean {
  const argv0 = cmdline.split(' ', 1)[0] ?? ''
  return argv0 === 'printf' || argv0.endsWith('/printf') || cmdline.includes('/bench/fixtures/')
}

/** The server first, then its non-agent descendants alive now; empty when the server is gone. */
export function serverProcesses (pid: number): ProcStat[] {
  const self = readStat(pid)
  if (self === null) return []
  // A zombie's ticks are about to move into its parent's cutime, which is not counted: skip it, and
  // never read a zombie's (empty) command line as "not an agent".
  const prune = (stat: ProcStat): boolean => stat.state === 'Z' || stat.state === 'X' || isAgentCommand(readCmdline(stat.pid))
  return [self, ...descendants(pid, prune, allStats())]
}
