// A final run's JSON made with its long answer serialised in steps is exactly JSON.stringify of the
// run: escapes, characters outside the BMP at the edge of a step, lone surrogates, fields before and
// after the answer.
import { describe, expect, it } from 'vitest'
import { jsonOf, knownJsonOf } from '../../src/runs/event-json.ts'
import { keepRunJson, outputJsonInSteps } from '../../src/runs/result-json.ts'
import type { Run } from '../../src/schemas/run.ts'

const STEP = 256 * 1024

function run (output: string): Run {
  return {
    id: 'run_1',
    caller: 'ci',
    user: 'ann "the user"',
    thread: null,
    command: 'run',
    status: 'succeeded',
    created_at: '2026-11-22T00:00:00.000Z',
    started_at: '2026-11-22T00:00:01.000Z',
    finished_at: '2026-11-22T00:00:02.000Z',
    duration_ms: 1000,
    exit_code: 0,
    output,
    truncated: true,
    error: null,
    session: null,
    cost_usd: 0.25,
    turns: 3,
    links: { self: '/v1/runs/run_1', events: '/v1/runs/run_1/events', cancel: '/v1/runs/run_1/cancel' }
  }
}

const outputs: Array<[string, string]> = [
  ['escapes of every kind across steps', 'line "quoted" \\ back\tslash\u0001\u001f\n'.repeat(30_000)],
  ['a character outside the BMP split by the first step\'s edge', 'a'.repeat(STEP - 1) + '🔑' + 'b'.repeat(1000)],
  ['one ending the first step exactly', 'a'.repeat(STEP - 2) + '🔑' + 'b'.repeat(STEP)],
  ['lone surrogates, which are escaped', 'x'.repeat(STEP - 1) + '\ud800' + 'y\udfff'.repeat(STEP)],
  ['text that is not Latin-1', 'Grüße, 世界 — '.repeat(60_000)]
]

describe('outputJsonInSteps and keepRunJson', () => {
  for (const [name, output] of outputs) {
    it(`make exactly JSON.stringify of the run: ${name}`, async () => {
      let pauses = 0
      const ahead = await outputJsonInSteps(output, async () => { pauses++ })
      expect(ahead).not.toBeNull()
      expect(ahead!.json === JSON.stringify(output)).toBe(true)
      expect(pauses).toBeGreaterThanOrEqual(Math.ceil(output.length / STEP) - 1)
      const final = run(output)
      keepRunJson(final, ahead!)
      expect(knownJsonOf(final) === JSON.stringify(final)).toBe(true)
      expect(jsonOf(final) === JSON.stringify(final)).toBe(true)
    })
  }

  it('leave a short answer to be serialised in one go', async () => {
    expect(await outputJsonInSteps('short', async () => {})).toBeNull()
  })

  it('keep nothing when the run\'s answer is not the one serialised ahead', async () => {
    const ahead = await outputJsonInSteps('a'.repeat(STEP + 1), async () => {})
    const other = run('b'.repeat(STEP + 1))
    keepRunJson(other, ahead!)
    expect(knownJsonOf(other)).toBeUndefined()
    expect(jsonOf(other) === JSON.stringify(other)).toBe(true)
  })

  it('put the answer where it is among the fields, first or last', async () => {
    const output = 'z'.repeat(STEP + 10)
    const ahead = await outputJsonInSteps(output, async () => {})
    const first = { output, id: 'x' } as unknown as Run
    const last = { id: 'x', output } as unknown as Run
    const only = { output } as unknown as Run
    for (const r of [first, last, only]) {
      keepRunJson(r, ahead!)
      expect(knownJsonOf(r) === JSON.stringify(r)).toBe(true)
    }
  })
})
