import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { CliContext } from '../../src/cli/context.ts'
import { StreamRenderer } from '../../src/cli/stream-renderer.ts'

function capture (tty: boolean): { ctx: CliContext, out: () => string, err: () => string } {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty })
  const stderr = Object.assign(new PassThrough(), { isTTY: tty })
  let out = ''
  let err = ''
  stdout.on('data', (c: Buffer) => { out += c.toString() })
  stderr.on('data', (c: Buffer) => { err += c.toString() })
  const ctx: CliContext = { env: {}, cwd: '/', stdin: new PassThrough(), stdout, stderr }
  return { ctx, out: () => out, err: () => err }
}

const run = (over: Record<string, unknown> = {}) => ({
  id: 'run_1', caller: 'ci', user: null, thread: null, command: 'run', status: 'running',
  created_at: '2026-01-01T00:00:00Z', started_at: null, finished_at: null, duration_ms: null, exit_code: null,
  output: '', truncated: false, error: null, session: null, cost_usd: null, turns: null,
  links: { self: '/v1/runs/run_1', events: '/v1/runs/run_1/events', cancel: '/v1/runs/run_1/cancel' },
  ...over
})

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('StreamRenderer', () => {
  it('text as it comes, tool lines on their own line, failures marked, status last', async () => {
    const { ctx, out } = capture(false)
    const r = new StreamRenderer(ctx, { verbose: false })
    r.handle('run', run({ token: 'tok' }))
    r.handle('text', { text: 'Look' })
    r.handle('text', { text: 'ing…' })
    r.handle('tool_start', { tool_id: 't1', name: 'Bash', summary: 'ls -la\nrm x' })
    r.handle('tool_end', { tool_id: 't1', ok: false, summary: 'exit 2' })
    r.handle('text', { text: 'Done.' })
    r.handle('result', run({ status: 'failed', error: 'agent failed', duration_ms: 2500 }))
    await tick()
    expect(out()).toBe('Looking…\n  > Bash: ls -la rm x\n  ✗ Bash failed: exit 2\nDone.\n✗ failed: agent failed (2.5s, run_1)\n')
    expect(r.token).toBe('tok')
    expect(r.result?.status).toBe('failed')
  })

  it('prints the final output when the agent streamed no text, and calls out the demo', async () => {
    const { ctx, out } = capture(false)
    const r = new StreamRenderer(ctx, { verbose: false })
    r.handle('result', run({ status: 'succeeded', output: 'the answer', duration_ms: 1200, demo: true }))
    await tick()
    expect(out()).toMatch(/^the answer\n✓ succeeded in 1\.2s \(run_1\) \[DEMO agent[^\]]*\]\n$/)
  })

  it('log lines go to stderr with a prefix; unknown events are ignored', async () => {
    const { ctx, out, err } = capture(false)
    const r = new StreamRenderer(ctx, { verbose: false })
    r.handle('log', { stream: 'stderr', line: 'warning: x' })
    r.handle('future_event', { anything: true })
    await tick()
    expect(out()).toBe('')
    expect(err()).toBe('  [agent stderr] warning: x\n')
  })

  it('on a terminal, escape sequences in agent text cannot reach it', async () => {
    const { ctx, out } = capture(true)
    const r = new StreamRenderer(ctx, { verbose: false })
    r.handle('text', { text: 'safe\x1b]0;owned\x07 text\x1b[2J\r\nnext' })
    await tick()
    expect(out()).toBe('safe]0;owned text[2J\nnext')
  })
})
