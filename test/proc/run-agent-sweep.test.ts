// The runner with a run id: the agent carries the marker, and a setsid escapee (and its child) dies
// with the run on every way out: a normal exit, a timeout and a cancel.
import { afterEach, describe, expect, it } from 'vitest'
import type { AgentConfig } from '../../src/config/schema.ts'
import type { AgentEvent, AgentOutcome } from '../../src/runner/agent-event.ts'
import { launcher } from '../helpers/launcher.ts'
import { runAgent } from '../../src/runner/run-agent.ts'
import { DRAIN_AFTER_EXIT_MS } from '../../src/runner/supervise.ts'
import { RUN_MARKER_VAR } from '../../src/proc/run-marker.ts'
import { agentConfig } from '../runner/helpers.ts'
import { fixture, isAlive, Spawned, waitFor } from './helpers.ts'

const spawned = new Spawned()
afterEach(() => spawned.killAll())

interface Result { outcome: AgentOutcome, text: string, ms: number }

async function runWith (opts: { runId?: string, agent?: Partial<AgentConfig>, env?: Record<string, string>, signal?: AbortSignal, onText?: () => void }): Promise<Result> {
  const events: AgentEvent[] = []
  const started = performance.now()
  const outcome = await runAgent({
    prompt: 'hello',
    agent: agentConfig({ profile: 'command', argv: [process.execPath, fixture('proc-escape-agent.mjs')], env: ['PROC_ESCAPE_LEADER'], ...opts.agent }),
    tools: { allow: [], deny: [] },
    sourceEnv: { PATH: process.env.PATH, ...opts.env },
    launcher,
    signal: opts.signal ?? new AbortController().signal,
    onEvent: (e) => { events.push(e); if (e.type === 'text') opts.onText?.() },
    onSpawn: (pid) => spawned.add(pid),
    ...(opts.runId === undefined ? {} : { runId: opts.runId })
  })
  const text = events.flatMap((e) => (e.type === 'text' ? [e.data.text] : [])).join('')
  return { outcome, text, ms: performance.now() - started }
}

/** The escapee's and its child's pids, registered for cleanup before anything is asserted. */
function escapees (text: string): number[] {
  const pids = ['escapee', 'nested'].map((label) => {
    const match = new RegExp(`^${label} (\\d+)$`, 'm').exec(text)
    if (match === null) throw new Error(`no ${label} pid in output: ${text}`)
    return Number(match[1])
  })
  spawned.add(...pids)
  return pids
}

const allDead = async (pids: number[]): Promise<boolean> => await waitFor(() => pids.every((pid) => !isAlive(pid)), 1000)

describe('the run marker in the agent environment', () => {
  it('is set to the run id and wins over an allowlisted variable of the same name', async () => {
    const runId = spawned.newRunId()
    const { outcome } = await runWith({
      runId,
      agent: { argv: [process.execPath, fixture('env-agent.mjs')], env: [RUN_MARKER_VAR] },
      env: { [RUN_MARKER_VAR]: 'spoofed' }
    })
    expect(outcome.status).toBe('succeeded')
    expect(JSON.parse(outcome.output)).toMatchObject({ [RUN_MARKER_VAR]: runId })
  })

  it('is absent without a run id', async () => {
    const { outcome } = await runWith({ agent: { argv: [process.execPath, fixture('env-agent.mjs')], env: [] } })
    expect(Object.keys(JSON.parse(outcome.output) as object)).not.toContain(RUN_MARKER_VAR)
  })

  it('refuses a run id that cannot be a marker, before starting anything', async () => {
    let spawnedPid: number | null = null
    const outcome = await runAgent({
      prompt: 'hello',
      agent: agentConfig(),
      tools: { allow: [], deny: [] },
      sourceEnv: { PATH: process.env.PATH },
      launcher,
      signal: new AbortController().signal,
      onEvent: () => {},
      onSpawn: (pid) => { spawnedPid = pid },
      runId: ''
    })
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('run id') })
    expect(spawnedPid).toBeNull()
  })
})

describe('end-of-run sweep', () => {
  it('kills a setsid escapee and its child when the leader exits on its own', async () => {
    const { outcome, text, ms } = await runWith({ runId: spawned.newRunId() })
    const pids = escapees(text)
    expect(outcome.status).toBe('succeeded')
    expect(await allDead(pids)).toBe(true)
    // The escapees held the pipes; killed, they close them, so the runner does not wait the drain out.
    expect(ms).toBeLessThan(DRAIN_AFTER_EXIT_MS)
  })

  it('kills them on a timeout, after the grace', async () => {
    const { outcome, text, ms } = await runWith({ runId: spawned.newRunId(), agent: { timeout: 0.5, kill_grace: 0.5 }, env: { PROC_ESCAPE_LEADER: 'hold' } })
    const pids = escapees(text)
    expect(outcome.status).toBe('timed_out')
    expect(text).toContain('leader ignored SIGTERM')
    expect(await allDead(pids)).toBe(true)
    expect(ms).toBeLessThan(DRAIN_AFTER_EXIT_MS + 1000)
  })

  it('kills them on a cancel', async () => {
    const controller = new AbortController()
    const { outcome, text } = await runWith({
      runId: spawned.newRunId(),
      agent: { kill_grace: 0.5 },
      env: { PROC_ESCAPE_LEADER: 'hold' },
      signal: controller.signal,
      onText: () => controller.abort()
    })
    const pids = escapees(text)
    expect(outcome.status).toBe('cancelled')
    expect(await allDead(pids)).toBe(true)
  })

  it('without a run id, leaves them alive (only the group is killed)', async () => {
    const { outcome, text, ms } = await runWith({})
    const pids = escapees(text)
    expect(outcome.status).toBe('succeeded')
    expect(ms).toBeGreaterThanOrEqual(DRAIN_AFTER_EXIT_MS - 100)
    for (const pid of pids) expect(isAlive(pid)).toBe(true)
  })
})
