import { describe, expect, it } from 'vitest'
import { run, textOf } from './helpers.ts'

describe('demo agent', () => {
  it('streams a session, text and a harmless tool call, and says it is a demo', async () => {
    const prompt = 'rm -rf / $(reboot)'
    const { outcome, events } = await run({ prompt, agent: { profile: 'demo', command: 'claude-not-needed', args: [] } })
    expect(outcome).toMatchObject({ status: 'succeeded', exit_code: 0, error: null, truncated: false, cost_usd: 0, turns: 2 })
    expect(outcome.output).toContain('DEMO')
    expect(outcome.output).toContain('hookgate demo agent — no real agent is configured; install Claude Code or set agent.profile')
    expect(outcome.output).toContain(`Your prompt was ${prompt.length} characters long`)
    expect(outcome.output).not.toContain('reboot')
    const kinds = new Set(events.map((e) => e.type))
    expect([...kinds].sort()).toEqual(['session', 'text', 'tool_end', 'tool_start'])
    expect(events[0]).toMatchObject({ type: 'session', data: { session: outcome.session, model: 'hookgate-demo' } })
    expect(outcome.session).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(events.find((e) => e.type === 'tool_start')?.data).toMatchObject({ name: 'Bash', summary: 'ls' })
    expect(events.find((e) => e.type === 'tool_end')?.data).toMatchObject({ ok: true })
    // Deltas only: the complete assistant blocks that repeat them are not sent twice.
    expect(textOf(events).match(/no real agent is configured/g)?.length).toBe(2)
    expect(textOf(events).endsWith(outcome.output)).toBe(true)
  })
})
