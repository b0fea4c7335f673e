import { describe, expect, it } from 'vitest'
import { narrowTools } from '../../src/policy/tool-narrowing.ts'

describe('narrowTools', () => {
  it.each([
    ['neither sets allow', undefined, undefined, []],
    ['only the caller', { allow: ['Read', 'Grep'] }, undefined, ['Read', 'Grep']],
    ['only the command', undefined, { allow: ['Read'] }, ['Read']],
    ['exact intersection', { allow: ['Read', 'Grep', 'Glob'] }, { allow: ['Grep', 'Edit'] }, ['Grep']],
    ['disjoint', { allow: ['Read', 'Grep'] }, { allow: ['Bash(git log:*)'] }, []],
    ['caller bare tool covers command rule', { allow: ['Bash'] }, { allow: ['Bash(git log:*)'] }, ['Bash(git log:*)']],
    ['command bare tool keeps the caller\'s narrower rule', { allow: ['Bash(npm test)'] }, { allow: ['Bash'] }, ['Bash(npm test)']],
    ['prefix rule covers a longer command', { allow: ['Bash(git:*)'] }, { allow: ['Bash(git log:*)', 'Bash(git diff)'] }, ['Bash(git log:*)', 'Bash(git diff)']],
    ['prefix is whole-word only', { allow: ['Bash(git:*)'] }, { allow: ['Bash(gitk)'] }, []],
    ['other specifiers only cover themselves', { allow: ['Read(./src/**)'] }, { allow: ['Read(./src/a.ts)'] }, []],
    ['empty command allow means nothing', { allow: ['Read'] }, { allow: [] }, []]
  ])('%s', (_name, caller, command, allow) => {
    expect(narrowTools(caller, command).allow).toEqual(allow)
  })

  it('unions denies without duplicates', () => {
    expect(narrowTools({ deny: ['Bash(rm:*)', 'WebFetch'] }, { deny: ['WebFetch', 'Edit'] }).deny).toEqual(['Bash(rm:*)', 'WebFetch', 'Edit'])
  })

  it('never widens the caller\'s allow list when both are set', () => {
    const caller = { allow: ['Read', 'Bash(git:*)'] }
    for (const rule of narrowTools(caller, { allow: ['Read', 'Write', 'Bash', 'Bash(git push:*)', 'Bash(rm -rf:*)'] }).allow) {
      expect(['Read', 'Bash(git:*)', 'Bash(git push:*)']).toContain(rule)
    }
  })
})
