import { describe, expect, it } from 'vitest'
import { StreamedText } from '../../src/runner/streamed-text.ts'

describe('StreamedText', () => {
  it('keeps everything without a bound', () => {
    const t = new StreamedText(Infinity)
    for (const piece of ['a', 'bc', '', 'déf']) t.add(piece)
    expect({ text: t.text, dropped: t.droppedBytes }).toEqual({ text: 'abcdéf', dropped: 0 })
  })

  it('keeps the first characters up to the bound and counts the rest in UTF-8 bytes', () => {
    const t = new StreamedText(5)
    t.add('abc')
    t.add('déf') // 'dé' fits; 'f' does not
    t.add('ü€') // 2 + 3 bytes
    expect({ text: t.text, dropped: t.droppedBytes }).toEqual({ text: 'abcdé', dropped: 1 + 2 + 3 })
  })

  it('never keeps half a surrogate pair', () => {
    const t = new StreamedText(4)
    t.add('abc😀z') // the emoji would straddle the bound: it is dropped whole (4 bytes), then 'z'
    expect({ text: t.text, dropped: t.droppedBytes }).toEqual({ text: 'abc', dropped: 5 })
    t.add('d') // once anything is dropped, nothing more is kept: the kept text is a beginning
    expect({ text: t.text, dropped: t.droppedBytes }).toEqual({ text: 'abc', dropped: 6 })
  })
})

describe('StreamedText bytes', () => {
  it('counts the UTF-8 bytes of the text kept, as Buffer.byteLength of the whole would', () => {
    const pieces = ['ab', 'é', '€', '😀', 'x'.repeat(10)]
    for (const max of [Infinity, 4, 5, 7]) {
      const t = new StreamedText(max)
      for (const p of pieces) t.add(p)
      expect({ max, bytes: t.bytes }).toEqual({ max, bytes: Buffer.byteLength(t.text) })
      expect(t.bytes + t.droppedBytes).toBe(Buffer.byteLength(pieces.join('')))
    }
  })
})
