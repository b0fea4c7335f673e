// Timeout and cancel: the whole process group dies, grandchildren included, and the run still ends
// with exactly one outcome. Given a run id, so do grandchildren that left the group (setsid).
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../src/runner/agent-event.ts'
import { launcher } from '../helpers/launcher.ts'
import { runAgent } from '../../src/runner/run-agent.ts'
import { DRAIN_AFTER_EXIT_MS } from '../../src/runner/supervise.ts'
import { agentConfig, fixture, isDeadOrZombie, run, textOf, waitFor } from './helpers.ts'

const stubborn = (mode: string) => ({
  agent: { profile: 'command' as const, argv: [process.execPath, fixture('stubborn-agent.mjs')], env: ['STUBBORN_MODE'], timeout: 0.5, kill_grace: 0.5 },
  env: { STUBBORN_MODE: mode }
})
const pidAfter = (label: string, events: AgentEvent[]): number => {
  const match = new RegExp(`^${label} (\\d+)$`, 'm').exec(textOf(events))
  if (match === null) throw new Error(`no ${label} pid in output: ${textOf(events)}`)
  return Number(match[1])
}

describe('stopping an agent', () => {
  it('times out a stubborn agent and kills its grandchild within grace', async () => {
    const { outcome, events, pid, ms } = await run(stubborn('hold'))
    expect(outcome).toMatchObject({ status: 'timed_out', exit_code: null, error: 'agent timed out after 0.5 s and was killed' })
    expect(textOf(events)).toContain('leader ignored SIGTERM') // it got SIGTERM first
    expect(ms).toBeGreaterThanOrEqual(900)
    expect(ms).toBeLessThan(4000)
    const grandchild = pidAfter('grandchild', events)
    expect(pidAfter('leader', events)).toBe(pid)
    expect(await waitFor(() => isDeadOrZombie(grandchild), 1000)).toBe(true)
    expect(isDeadOrZombie(pid!)).toBe(true)
  })

  it('kills what a leader left in its group when it exits on its own', async () => {
    const { outcome, events, ms } = await run(stubborn('leave'))
    expect(outcome.status).toBe('succeeded')
    expect(ms).toBeLessThan(DRAIN_AFTER_EXIT_MS)
    expect(await waitFor(() => isDeadOrZombie(pidAfter('grandchild', events)), 1000)).toBe(true)
  })

  it('with a run id, kills a grandchild that left the group (setsid) through the run marker', async () => {
    const events: AgentEvent[] = []
    const started = performance.now()
    const { agent, env } = stubborn('escape')
    const outcome = await runAgent({
      prompt: 'hello',
      agent: agentConfig(agent),
      tools: { allow: [], deny: [] },
      sourceEnv: { PATH: process.env.PATH, ...env },
      launcher,
      signal: new AbortController().signal,
      onEvent: (e) => { events.push(e) },
      runId: `run_${randomUUID()}`
    })
    const ms = performance.now() - started
    const escaped = pidAfter('grandchild', events)
    try {
      expect(outcome.status).toBe('succeeded')
      expect(await waitFor(() => isDeadOrZombie(escaped), 1000)).toBe(true)
      // Killed, it closes the pipes it held, so the runner has no drain to wait out.
      expect(ms).toBeLessThan(DRAIN_AFTER_EXIT_MS)
    } finally {
      try { process.kill(escaped, 'SIGKILL') } catch {}
    }
  })

  it('without a run id, a setsid grandchild survives but the run still ends after the drain', async () => {
    const { outcome, events, ms } = await run(stubborn('escape'))
    const escaped = pidAfter('grandchild', events)
    try {
      expect(outcome.status).toBe('succeeded')
      expect(ms).toBeGreaterThanOrEqual(DRAIN_AFTER_EXIT_MS - 100)
      expect(ms).toBeLessThan(DRAIN_AFTER_EXIT_MS + 2500)
      // A group kill cannot reach it; only the run marker can.
      expect(isDeadOrZombie(escaped)).toBe(false)
    } finally {
      // End the one process this test started.
      try { process.kill(escaped, 'SIGKILL') } catch {}
    }
  })

  it('cancels through the AbortSignal', async () => {
    const controller = new AbortController()
    const { outcome, events, ms } = await run({
      agent: { env: ['FAKE_CLAUDE_MODE'] },
      env: { FAKE_CLAUDE_MODE: 'slow' },
      signal: controller.signal,
      onEvent: (e) => { if (e.type === 'text') controller.abort() }
    })
    expect(outcome).toMatchObject({ status: 'cancelled', error: 'run was cancelled', exit_code: null })
    expect(outcome.session).toMatch(/^[0-9a-f-]{36}$/)
    expect(events.filter((e) => e.type === 'text').length).toBeGreaterThanOrEqual(1)
    expect(ms).toBeLessThan(3000)
  })

  it('does not start an agent for a run cancelled before it started', async () => {
    const controller = new AbortController()
    controller.abort()
    const { outcome, pid, events } = await run({ signal: controller.signal })
    expect(outcome).toMatchObject({ status: 'cancelled', exit_code: null })
    expect(pid).toBeNull()
    expect(events).toEqual([])
  })

  it('times out a hanging agent that does honour SIGTERM, without waiting for the grace', async () => {
    const { outcome, ms } = await run({ agent: { env: ['FAKE_CLAUDE_MODE'], timeout: 0.5, kill_grace: 5 }, env: { FAKE_CLAUDE_MODE: 'hang' } })
    expect(outcome).toMatchObject({ status: 'timed_out', exit_code: null, output: 'Thinking forever' })
    expect(ms).toBeLessThan(3500) // well under timeout + kill_grace (5.5 s)
  })
})
