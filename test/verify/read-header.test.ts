import { describe, it, expect } from 'vitest'
import type { IncomingHttpHeaders } from 'node:http'
import { readHeader } from '../../src/verify/read-header.ts'

describe('readHeader', () => {
  it('reads a single string value', () => {
    expect(readHeader({ 'x-a': 'v' }, 'x-a', 10)).toEqual({ ok: true, value: 'v' })
  })

  it('matches the name case-insensitively', () => {
    expect(readHeader({ 'X-A': 'v' }, 'x-a', 10)).toEqual({ ok: true, value: 'v' })
  })

  it.each([
    ['absent', {}],
    ['undefined', { 'x-a': undefined }],
    ['empty', { 'x-a': '' }]
  ])('treats %s as missing', (_name, headers) => {
    expect(readHeader(headers as IncomingHttpHeaders, 'x-a', 10)).toEqual({ ok: true, value: undefined })
  })

  it.each([
    ['an array of two', { 'x-a': ['v', 'w'] }],
    ['an array of one', { 'x-a': ['v'] }],
    ['an empty array', { 'x-a': [] }],
    ['two spellings of the name', { 'x-a': 'v', 'X-A': 'v' }]
  ])('rejects %s as a duplicate', (_name, headers) => {
    expect(readHeader(headers as IncomingHttpHeaders, 'x-a', 10)).toEqual({ ok: false, reason: 'duplicate_header' })
  })

  it.each([
    ['a number', 5],
    ['an object', { toString: () => 'v' }],
    ['null', null]
  ])('rejects %s as malformed', (_name, value) => {
    expect(readHeader({ 'x-a': value } as unknown as IncomingHttpHeaders, 'x-a', 10)).toEqual({ ok: false, reason: 'malformed_header' })
  })

  it('rejects a value over the cap before looking at it', () => {
    expect(readHeader({ 'x-a': 'a'.repeat(11) }, 'x-a', 10)).toEqual({ ok: false, reason: 'header_too_long' })
    expect(readHeader({ 'x-a': 'a'.repeat(10) }, 'x-a', 10)).toEqual({ ok: true, value: 'a'.repeat(10) })
  })
})
