import { describe, expect, it } from 'vitest'
import { oneLine, summarizeToolInput } from '../../src/runner/tool-summary.ts'

describe('tool summary', () => {
  it.each([
    ['Bash', { command: 'git status', description: 'x' }, 'git status'],
    ['Read', { file_path: '/a/b.ts', offset: 3 }, '/a/b.ts'],
    ['Edit', { file_path: '/a/c.ts', old_string: 'x', new_string: 'y' }, '/a/c.ts'],
    ['Write', { file_path: '/a/d.ts', content: 'long' }, '/a/d.ts'],
    ['Glob', { pattern: '**/*.ts', path: '/a' }, '**/*.ts'],
    ['Grep', { pattern: 'TODO', output_mode: 'content' }, 'TODO'],
    ['WebFetch', { url: 'https://example.com/x', prompt: 'read it' }, 'https://example.com/x'],
    ['WebSearch', { query: 'node 24 release' }, 'node 24 release'],
    ['mcp__github__create_issue', { title: 'Bug', body: 'x' }, '{"title":"Bug","body":"x"}'],
    ['Bash', { cmd: 'wrong field' }, '{"cmd":"wrong field"}'],
    ['Anything', undefined, '']
  ])('%s → %s', (name, input, expected) => {
    expect(summarizeToolInput(name, input)).toBe(expected)
  })

  it('is one line of at most 200 characters', () => {
    const s = summarizeToolInput('Bash', { command: `echo a\n\techo b\r\n${'x'.repeat(500)}` })
    expect(s.startsWith('echo a echo b x')).toBe(true)
    expect(s).not.toMatch(/[\n\r\t]/)
    expect(s.length).toBe(200)
    expect(s.endsWith('…')).toBe(true)
  })

  it('never splits a surrogate pair', () => {
    const s = oneLine(`${'a'.repeat(198)}😀😀😀`)
    expect(s.length).toBeLessThanOrEqual(200)
    expect(s.isWellFormed()).toBe(true)
  })

  it('does not read inherited properties as tool names', () => {
    expect(summarizeToolInput('constructor', { a: 1 })).toBe('{"a":1}')
  })
})
