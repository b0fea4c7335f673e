// What the user typed into a slash command's options, as words in order. Sub-commands and their
// groups nest option lists; their names are words the user picked too (`/git status`), so they are
// kept. User, channel, role and attachment options hold ids, which say nothing to an agent.
import { isObject } from './fields.ts'

const SUB_COMMAND = 1
const SUB_COMMAND_GROUP = 2
const VALUE_TYPES = new Set([3, 4, 5, 10]) // string, integer, boolean, number
/** Discord nests at most a group, a sub-command and its options, 25 of each. */
const MAX_DEPTH = 3
const MAX_OPTIONS = 25

/** The words, or null when the options are not what Discord sends. */
export function optionWords (options: unknown, depth = 1): string[] | null {
  if (options === undefined) return []
  if (!Array.isArray(options) || options.length > MAX_OPTIONS || depth > MAX_DEPTH) return null
  const words: string[] = []
  for (const option of options) {
    if (!isObject(option) || typeof option.name !== 'string' || typeof option.type !== 'number') return null
    if (option.type === SUB_COMMAND || option.type === SUB_COMMAND_GROUP) {
      const nested = optionWords(option.options, depth + 1)
      if (nested === null) return null
      words.push(option.name, ...nested)
      continue
    }
    const value = option.value
    if (typeof value !== 'string' && typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) return null
    if (VALUE_TYPES.has(option.type) && String(value).trim() !== '') words.push(String(value).trim())
  }
  return words
}
