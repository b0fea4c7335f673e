import { describe, expect, it } from 'vitest'
import { eventJson, eventSize, jsonOf } from '../../src/runs/event-json.ts'

describe('event JSON', () => {
  it('is JSON.stringify of the data, invisible on it', () => {
    const data = { text: 'héllo "quoted"\n', n: 1 }
    const event = { seq: 1, event: 'text', data }
    const text = eventJson(event)
    expect(text).toBe(JSON.stringify(data))
    // Another event carrying the same object shares the text; the object looks as it did.
    expect(eventJson({ seq: 2, event: 'text', data })).toBe(text)
    expect(jsonOf(data)).toBe(text)
    expect(Object.keys(data)).toEqual(['text', 'n'])
    expect(JSON.stringify(data)).toBe(text)
    expect(structuredClone(data)).toEqual({ text: 'héllo "quoted"\n', n: 1 })
    expect(eventSize(event)).toBe(text.length + 32)
  })

  it('a long text is made once: a later change to the object is not seen, which is why only final objects go through it', () => {
    const run = { id: 'run_1', output: 'a'.repeat(20_000) }
    const first = jsonOf(run)
    run.output = 'b'
    expect(jsonOf(run)).toBe(first)
    expect(eventSize({ seq: 1, event: 'result', data: run })).toBe(first.length + 32)
    expect(jsonOf({ ...run })).toBe('{"id":"run_1","output":"b"}')
  })

  it('a short text is made again when asked for (not kept on the object), its length only once', () => {
    const data = { text: 'a' }
    const event = { seq: 1, event: 'text', data }
    expect(eventSize(event)).toBe('{"text":"a"}'.length + 32)
    data.text = 'bbb'
    // Kept, the text would still say "a"; the size is the one measured first.
    expect(eventJson(event)).toBe('{"text":"bbb"}')
    expect(eventSize(event)).toBe('{"text":"a"}'.length + 32)
    expect(Object.keys(data)).toEqual(['text'])
  })

  it('works for frozen objects and data that is not an object', () => {
    const frozen = Object.freeze({ a: 1 })
    expect(jsonOf(frozen)).toBe('{"a":1}')
    expect(eventJson({ seq: 1, event: 'x', data: null })).toBe('null')
    expect(eventJson({ seq: 1, event: 'x', data: 'text' })).toBe('"text"')
  })
})
