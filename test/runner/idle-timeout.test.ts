// The idle timeout (agent.idle_timeout, or the profile's own): an agent silent for that long is
// stopped as timed out, with the stderr tail; output resets the clock, and a permission question
// waiting for a human does not count as silence.
import { describe, expect, it } from 'vitest'
import { run } from './helpers.ts'

const PASS = ['FAKE_CLAUDE_MODE', 'FAKE_CLAUDE_DELAY_MS']

describe('idle timeout', () => {
  it('stops an agent that writes nothing for idle_timeout seconds and says why', async () => {
    const { outcome, ms } = await run({ env: { FAKE_CLAUDE_MODE: 'hang' }, agent: { env: PASS, idle_timeout: 1, timeout: 30 } })
    expect(outcome.status).toBe('timed_out')
    expect(outcome.error).toMatch(/^agent wrote nothing for 1 s \(idle timeout\) and was killed/)
    expect(ms).toBeLessThan(6000)
  })

  it('does not stop an agent that keeps writing, however long it takes', async () => {
    // 20 pieces 300 ms apart: 6 s in all, never 1 s silent.
    const { outcome, ms } = await run({ env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '300' }, agent: { env: PASS, idle_timeout: 1 } })
    expect(outcome.status).toBe('succeeded')
    expect(ms).toBeGreaterThan(3000)
  })

  it('does not count the wait for a permission answer as silence', async () => {
    const { outcome } = await run({
      env: { FAKE_CLAUDE_MODE: 'ask' },
      agent: { env: PASS, idle_timeout: 1 },
      askPermission: async () => { await new Promise((resolve) => setTimeout(resolve, 2500)); return { allow: true } }
    })
    expect(outcome.status).toBe('succeeded')
    expect(JSON.parse(outcome.output.split('\n\n')[0]!).decisions).toEqual([{ tool: 'Bash', behavior: 'allow' }])
  })

  it('uses the profile\'s default when the config sets none (codex: 600 s), and 0 turns it off', async () => {
    const { codexProfile } = await import('../../src/runner/profiles/codex.ts')
    expect(codexProfile.defaultIdleSeconds).toBe(600)
    // Off: only the wall-clock timeout stops a silent agent.
    const { outcome } = await run({ env: { FAKE_CLAUDE_MODE: 'hang' }, agent: { env: PASS, idle_timeout: 0, timeout: 2 } })
    expect(outcome).toMatchObject({ status: 'timed_out', error: 'agent timed out after 2 s and was killed' })
  })
})
