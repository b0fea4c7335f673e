import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readSse, SseReader, type SseEvent } from '../../src/cli/sse-reader.ts'

function parseAll (chunks: Array<string | Uint8Array>): SseEvent[] {
  const reader = new SseReader()
  return [...chunks.flatMap((c) => reader.push(c)), ...reader.end()]
}

describe('SseReader', () => {
  it('parses the gateway\'s events: id, event, JSON data', () => {
    const events = parseAll(['id: 1\nevent: run\ndata: {"id":"run_1"}\n\nid: 2\nevent: text\ndata: {"text":"hi"}\n\n'])
    expect(events).toEqual([
      { event: 'run', data: '{"id":"run_1"}', id: '1' },
      { event: 'text', data: '{"text":"hi"}', id: '2' }
    ])
  })

  it('joins multi-line data with \\n and defaults the event name to message', () => {
    expect(parseAll(['data: a\ndata:b\ndata:  c\n\n'])).toEqual([{ event: 'message', data: 'a\nb\n c', id: '' }])
  })

  it('ignores comments (the gateway\'s `: ping`) and unknown fields', () => {
    expect(parseAll([': ping\n\nfoo: bar\ndata: x\n: another\n\n'])).toEqual([{ event: 'message', data: 'x', id: '' }])
  })

  it('accepts \\r\\n and lone \\r line endings, also split across chunks', () => {
    expect(parseAll(['data: a\r', '\ndata: b\r\r', '\n', 'data: c\r\r'])).toEqual([
      { event: 'message', data: 'a\nb', id: '' },
      { event: 'message', data: 'c', id: '' }
    ])
  })

  it('does not dispatch an event without data, and resets its name', () => {
    expect(parseAll(['event: ghost\n\ndata: real\n\n'])).toEqual([{ event: 'message', data: 'real', id: '' }])
  })

  it('dispatches `data:` with an empty value as an empty string', () => {
    expect(parseAll(['data\n\n', 'data:\n\n'])).toEqual([
      { event: 'message', data: '', id: '' },
      { event: 'message', data: '', id: '' }
    ])
  })

  it('keeps the last event id across events and ignores ids containing NUL', () => {
    expect(parseAll(['id: 7\ndata: a\n\ndata: b\n\nid: 8\0\ndata: c\n\n'])).toEqual([
      { event: 'message', data: 'a', id: '7' },
      { event: 'message', data: 'b', id: '7' },
      { event: 'message', data: 'c', id: '7' }
    ])
  })

  it('reads retry only when it is all digits', () => {
    expect(parseAll(['retry: 1500\ndata: a\n\nretry: soon\ndata: b\n\n'])).toEqual([
      { event: 'message', data: 'a', id: '', retry: 1500 },
      { event: 'message', data: 'b', id: '' }
    ])
  })

  it('discards an event cut off before its blank line', () => {
    expect(parseAll(['data: complete\n\ndata: cut off\n'])).toEqual([{ event: 'message', data: 'complete', id: '' }])
  })

  it('skips a byte-order mark at the start of the stream only', () => {
    expect(parseAll(['\uFEFFdata: a\n\n'])).toEqual([{ event: 'message', data: 'a', id: '' }])
    expect(parseAll([new Uint8Array([0xef, 0xbb]), new Uint8Array([0xbf, 0x64]), 'ata: b\n\n'])).toEqual([{ event: 'message', data: 'b', id: '' }])
  })

  it('decodes UTF-8 characters split between byte chunks', () => {
    const bytes = Buffer.from('data: 日本語 ✓ 🚀\n\n')
    const chunks = [...bytes].map((b) => new Uint8Array([b]))
    expect(parseAll(chunks)).toEqual([{ event: 'message', data: '日本語 ✓ 🚀', id: '' }])
  })

  it('readSse yields events from an async byte stream', async () => {
    async function * body (): AsyncGenerator<Uint8Array> {
      yield Buffer.from('id: 1\nevent: te')
      yield Buffer.from('xt\ndata: {"text":"a"}\n')
      yield Buffer.from('\n: ping\n\n')
    }
    const events: SseEvent[] = []
    for await (const event of readSse(body())) events.push(event)
    expect(events).toEqual([{ event: 'text', data: '{"text":"a"}', id: '1' }])
  })
})

// A stream model, its serialisation with arbitrary line endings and comments, and the events a
// correct parser must produce from it.
const fieldText = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !/[\r\n\0]/.test(s))
const eventModel = fc.record({
  event: fc.option(fieldText.filter((s) => s !== ''), { nil: undefined }),
  id: fc.option(fieldText, { nil: undefined }),
  data: fc.array(fieldText, { minLength: 1, maxLength: 4 }),
  comment: fc.option(fieldText, { nil: undefined })
})
const lineEnding = fc.constantFrom('\n', '\r\n', '\r')

const streamArb = fc.array(fc.tuple(eventModel, lineEnding), { maxLength: 8 }).map((items) => {
  let text = ''
  let lastId = ''
  const expected: SseEvent[] = []
  for (const [model, eol] of items) {
    if (model.comment !== undefined) text += `:${model.comment}${eol}`
    if (model.event !== undefined) text += `event: ${model.event}${eol}`
    if (model.id !== undefined) {
      text += `id: ${model.id}${eol}`
      lastId = model.id
    }
    for (const line of model.data) text += `data: ${line}${eol}`
    text += eol
    expected.push({ event: model.event ?? 'message', data: model.data.join('\n'), id: lastId })
  }
  return { text, expected }
})

function splitAt<T extends { slice (start: number, end?: number): T, length: number }> (whole: T, cuts: number[]): T[] {
  const points = [...new Set(cuts.map((c) => (whole.length === 0 ? 0 : c % (whole.length + 1))))].sort((a, b) => a - b)
  const chunks: T[] = []
  let start = 0
  for (const point of points) {
    chunks.push(whole.slice(start, point))
    start = point
  }
  chunks.push(whole.slice(start))
  return chunks
}

describe('SseReader (properties)', () => {
  it('yields the same events however a string stream is split into chunks', () => {
    fc.assert(fc.property(streamArb, fc.array(fc.nat(), { maxLength: 20 }), ({ text, expected }, cuts) => {
      expect(parseAll([text])).toEqual(expected)
      expect(parseAll(splitAt(text, cuts))).toEqual(expected)
    }), { numRuns: 500 })
  })

  it('yields the same events however the UTF-8 bytes are split, even inside a character', () => {
    fc.assert(fc.property(streamArb, fc.array(fc.nat(), { maxLength: 20 }), ({ text, expected }, cuts) => {
      const bytes = new Uint8Array(Buffer.from(text))
      expect(parseAll(splitAt(bytes, cuts))).toEqual(expected)
    }), { numRuns: 500 })
  })

  it('one byte at a time gives the same events as the whole stream', () => {
    fc.assert(fc.property(streamArb, ({ text, expected }) => {
      const bytes = Buffer.from(text)
      expect(parseAll([...bytes].map((b) => new Uint8Array([b])))).toEqual(expected)
    }), { numRuns: 100 })
  })
})
