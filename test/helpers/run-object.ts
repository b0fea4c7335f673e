// A queued run object for tests that write runs to a store directly.
import type { Run } from '../../src/schemas/run.ts'

export function runObject (id: string, createdAt: number, patch: Partial<Run> = {}): Run {
  return {
    id,
    caller: 'ci',
    user: 'ana',
    thread: null,
    command: 'run',
    status: 'queued',
    created_at: new Date(createdAt).toISOString(),
    started_at: null,
    finished_at: null,
    duration_ms: null,
    exit_code: null,
    output: '',
    truncated: false,
    error: null,
    session: null,
    cost_usd: null,
    turns: null,
    links: { self: `/v1/runs/${id}`, events: `/v1/runs/${id}/events`, cancel: `/v1/runs/${id}/cancel` },
    ...patch
  }
}
