// What the runner reports while an agent runs. The run registry turns these into the event stream
//; parsers for each agent CLI produce them from that CLI's own output.
import type { LogEvent, SessionEvent, TextEvent, ToolEndEvent, ToolStartEvent } from '../schemas/run.ts'

export type AgentEvent =
  | { type: 'session', data: SessionEvent }
  | { type: 'text', data: TextEvent }
  | { type: 'tool_start', data: ToolStartEvent }
  | { type: 'tool_end', data: ToolEndEvent }
  | { type: 'log', data: LogEvent }

/** How a run ended, as decided by the runner; never thrown, always returned. */
export interface AgentOutcome {
  status: 'succeeded' | 'failed' | 'timed_out' | 'cancelled'
  /** Process exit code; null when it died of a signal or never started. */
  exit_code: number | null
  /** The final answer text (the agent's own result where it reports one, else its text output), capped. */
  output: string
  /** True when output was dropped because `max_output_bytes` was reached. */
  truncated: boolean
  /** Why it did not succeed, for humans; includes the tail of stderr when the agent crashed. */
  error: string | null
  session: string | null
  cost_usd: number | null
  turns: number | null
  /** Something the runner tells about the run (a fresh session replaced a missing one), or absent. */
  notice?: string
}
