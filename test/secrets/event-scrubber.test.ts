// Agent events on their way in: each scrubbed, a secret printed across two lines (two events)
// caught by holding the first one back briefly, order kept, nothing lost, nothing held for long.
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../src/runner/agent-event.ts'
import { EventScrubber } from '../../src/secrets/event-scrubber.ts'
import { REDACTED, SecretScrubber } from '../../src/secrets/secret-scrubber.ts'

const SECRET = 'ghp_R8x2Lq7Vn3Zt9Wc4Yb6Hs1Kd5Mf0Pj'
const scrubber = new SecretScrubber([SECRET])

function harness (holdMs?: number): { events: AgentEvent[], push: (e: AgentEvent) => void, flush: () => void } {
  const events: AgentEvent[] = []
  const guard = new EventScrubber(scrubber, (e) => events.push(e), holdMs)
  return { events, push: (e) => guard.push(e), flush: () => guard.flush() }
}

const text = (t: string): AgentEvent => ({ type: 'text', data: { text: t } })
const log = (line: string): AgentEvent => ({ type: 'log', data: { stream: 'stderr', line } })
const joinedText = (events: AgentEvent[]): string => events.map((e) => e.type === 'text' ? e.data.text : '').join('')

describe('EventScrubber', () => {
  it('scrubs every string field of every event', () => {
    const { events, push } = harness()
    push({ type: 'tool_start', data: { tool_id: 't1', name: 'Bash', summary: `curl -H "token: ${SECRET}"` } })
    push({ type: 'tool_end', data: { tool_id: 't1', ok: true, summary: `echo ${SECRET}` } })
    push(text(`the key is ${SECRET}\n`))
    push(log(`warning: ${Buffer.from(SECRET).toString('base64')}`))
    expect(JSON.stringify(events)).not.toContain(SECRET)
    expect(events).toEqual([
      { type: 'tool_start', data: { tool_id: 't1', name: 'Bash', summary: `curl -H "token: ${REDACTED}"` } },
      { type: 'tool_end', data: { tool_id: 't1', ok: true, summary: `echo ${REDACTED}` } },
      text(`the key is ${REDACTED}\n`),
      log(`warning: ${REDACTED}`)
    ])
  })

  it('keeps a summary within its 200-character cap after redaction', () => {
    const short = new SecretScrubber(['abcdefgh'])
    const events: AgentEvent[] = []
    const guard = new EventScrubber(short, (e) => events.push(e))
    guard.push({ type: 'tool_start', data: { tool_id: 't', name: 'Bash', summary: 'abcdefgh '.repeat(22) } })
    const summary = (events[0] as Extract<AgentEvent, { type: 'tool_start' }>).data.summary
    expect(summary.length).toBeLessThanOrEqual(200)
    expect(summary).not.toContain('abcdefgh')
  })

  it('catches a secret printed across two text lines, and the text still adds up', () => {
    const { events, push, flush } = harness()
    push(text('before\n'))
    push(text(`key: ${SECRET.slice(0, 15)}\n`))
    push(text(`${SECRET.slice(15)} after\n`))
    push(text('last\n'))
    flush()
    const all = joinedText(events)
    expect(all).toBe(`before\nkey: ${REDACTED}\n after\nlast\n`)
    expect(JSON.stringify(events)).not.toContain(SECRET.slice(0, 15))
    expect(JSON.stringify(events)).not.toContain(SECRET.slice(15))
  })

  it('catches a secret streamed in two deltas without a line break', () => {
    const { events, push, flush } = harness()
    push(text(`export TOKEN=${SECRET.slice(0, 6)}`))
    push(text(`${SECRET.slice(6)}; done`))
    flush()
    expect(joinedText(events)).toBe(`export TOKEN=${REDACTED}; done`)
  })

  it('catches a secret across two stderr lines and still sends one line per event', () => {
    const { events, push, flush } = harness()
    push(log(`auth ${SECRET.slice(0, 10)}`))
    push(log(`${SECRET.slice(10)} rejected`))
    flush()
    expect(events).toEqual([log(`auth ${REDACTED}`), log(' rejected')])
  })

  it('sends a held event unchanged when the next one does not complete a secret, in order', () => {
    const { events, push, flush } = harness()
    push(text(`prefix ${SECRET.slice(0, 8)}\n`))
    expect(events).toEqual([])
    push(text('something else\n'))
    push({ type: 'tool_start', data: { tool_id: 't', name: 'Read', summary: 'a.txt' } })
    flush()
    expect(events.map((e) => e.type)).toEqual(['text', 'text', 'tool_start'])
    expect(joinedText(events)).toBe(`prefix ${SECRET.slice(0, 8)}\nsomething else\n`)
  })

  it('lets another kind of event through only after the held one, whose suspected piece of a secret is redacted', () => {
    const { events, push } = harness()
    push(text(`half ${SECRET.slice(0, 9)}`))
    push(log('stderr line'))
    push(text(`${SECRET.slice(9)} rest`))
    expect(events).toEqual([text(`half ${REDACTED}`), log('stderr line'), text(`${REDACTED} rest`)])
  })

  it('never holds an event longer than holdMs, and then redacts both pieces of the cut secret', async () => {
    const { events, push } = harness(40)
    push(text(`waiting ${SECRET.slice(0, 12)}\n`))
    expect(events).toHaveLength(0)
    await sleep(120)
    expect(events).toEqual([text(`waiting ${REDACTED}\n`)])
    push(text(`${SECRET.slice(12)} (late)\n`))
    push(text(`${SECRET.slice(12)} is no longer at a cut\n`))
    expect(events.slice(1)).toEqual([text(`${REDACTED} (late)\n`), text(`${SECRET.slice(12)} is no longer at a cut\n`)])
  })

  it('keeps holding a joined event that again ends with a piece of a secret, on a fresh timer', async () => {
    const { events, push, flush } = harness(60)
    push(text(`a ${SECRET.slice(0, 10)}`))
    await sleep(40)
    push(text(`${SECRET.slice(10)} b ${SECRET.slice(0, 7)}`))
    // Past the first event's 60 ms, within the joined one's.
    await sleep(40)
    push(text(`${SECRET.slice(7)} c\n`))
    flush()
    expect(events).toEqual([text(`a ${REDACTED} b ${REDACTED} c\n`)])
  })

  it('catches a secret cut into three lines', () => {
    const { events, push, flush } = harness()
    push(text(`key: ${SECRET.slice(0, 10)}\n`))
    push(text(`${SECRET.slice(10, 20)}\n`))
    push(text(`${SECRET.slice(20)} end\n`))
    push(log(`err ${SECRET.slice(0, 5)}`))
    push(log(SECRET.slice(5, 9)))
    push(log(`${SECRET.slice(9)} done`))
    flush()
    expect(events).toEqual([text(`key: ${REDACTED}\n\n end\n`), log(`err ${REDACTED}`), log(''), log(' done')])
  })

  it('sends what is held at the end of the run', () => {
    const { events, push, flush } = harness()
    push(text(`last words ${SECRET.slice(0, 20)}`))
    expect(events).toHaveLength(0)
    flush()
    expect(events).toEqual([text(`last words ${REDACTED}`)])
  })
})
