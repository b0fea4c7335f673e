// Turns the `policy`, `commands` and `callers` parts of a config into a CompiledPolicy, or into the
// complete list of problems with their JSON pointers. Everything that can be decided at load is
// decided here, so a request never meets an uncompiled pattern or a dangling command name.
import { PolicySchema, type CallerConfig, type CommandConfig, type ConfigInput } from '../config/schema.ts'
import { ConfigError } from '../errors.ts'
import { BUILTIN_COMMANDS, isBuiltin } from './builtins.ts'
import { jsonPointer } from './json-pointer.ts'
import type { ConfigProblem } from '../config/problems.ts'
import { CompiledPolicy, type CompiledCaller, type CompiledCommand } from './command-policy.ts'
import { normalizeText } from './normalize.ts'
import { compilePattern, compilePatternList } from './pattern-list.ts'
import { narrowTools, type ToolPolicy } from './tool-narrowing.ts'

/** Accepts the loaded Config as well as the file as written (defaults not yet applied). */
export type PolicyInput = Pick<ConfigInput, 'policy' | 'commands' | 'callers'>

export type { CompiledPolicy, Resolution } from './command-policy.ts'

export type CompilePolicyResult =
  | { ok: true, policy: CompiledPolicy }
  | { ok: false, problems: ConfigProblem[] }

const COMMAND_NAME = /^[a-z][a-z0-9_-]{0,31}$/
// The loaded config has schema defaults applied; the file as written may not.
const DEFAULT_MAX_PROMPT_CHARS = (PolicySchema.properties.max_prompt_chars as { default?: number }).default ?? 16384

/**
 * For the gateway, once the config has loaded.
 * @throws ConfigError listing every problem (the loader should have reported them already).
 */
export function compilePolicy (input: PolicyInput): CompiledPolicy {
  const result = tryCompilePolicy(input)
  if (!result.ok) throw new ConfigError(result.problems)
  return result.policy
}

/** For config loading and `hookgate check`: every problem, with its JSON pointer. */
export function policyProblems (input: PolicyInput): ConfigProblem[] {
  const result = tryCompilePolicy(input)
  return result.ok ? [] : result.problems
}

export function tryCompilePolicy (input: PolicyInput): CompilePolicyResult {
  const problems: ConfigProblem[] = []
  const block = compilePatternList(input.policy?.block ?? [], ['policy', 'block'], problems)
  block.forEach((re, i) => {
    // A block pattern that matches nothing at all refuses every request: surely a typo.
    if (re.test('')) problems.push({ path: jsonPointer('policy', 'block', i), message: 'pattern matches the empty string, so it would refuse every request' })
  })

  const commands = new Map<string, CompiledCommand>()
  for (const [name, config] of Object.entries(input.commands ?? {})) {
    const command = compileCommand(name, config, problems)
    if (command !== null) commands.set(name, command)
  }

  const callers = new Map<string, CompiledCaller>()
  for (const [id, config] of Object.entries(input.callers)) {
    callers.set(id, compileCaller(id, config, input.commands ?? {}, problems))
  }

  if (problems.length > 0) return { ok: false, problems }
  return {
    ok: true,
    policy: new CompiledPolicy({
      block,
      maxPromptChars: input.policy?.max_prompt_chars ?? DEFAULT_MAX_PROMPT_CHARS,
      commands,
      callers
    })
  }
}

function compileCommand (name: string, config: CommandConfig, problems: ConfigProblem[]): CompiledCommand | null {
  const at = (...rest: Array<string | number>) => jsonPointer('commands', name, ...rest)
  const before = problems.length
  if (!COMMAND_NAME.test(name)) {
    problems.push({ path: at(), message: 'command names are 1–32 lower-case letters, digits, "-" or "_", starting with a letter' })
  }
  if (isBuiltin(name)) {
    problems.push({ path: at(), message: `"${name}" is a built-in command (${BUILTIN_COMMANDS.join(', ')}) and cannot be redefined` })
  }
  const template = normalizeText(config.prompt)
  if (!template.ok) problems.push({ path: at('prompt'), message: `prompt template is refused by normalisation (${template.reason})` })

  const allow = config.allow === undefined ? null : compilePatternList(config.allow, ['commands', name, 'allow'], problems)
  const argsMatch = config.args_match === undefined ? null : compilePattern(config.args_match, ['commands', name, 'args_match'], problems)
  const choices = config.choices === undefined
    ? null
    : config.choices.map((value, i) => ({ value, match: matchForm(value, at('choices', i), problems) }))
  const confirm = (config.confirm ?? []).map((value, i) => matchForm(value, at('confirm', i), problems))
  if (choices !== null) {
    confirm.forEach((value, i) => {
      if (!choices.some((c) => c.match === value)) problems.push({ path: at('confirm', i), message: 'is not one of the command\'s choices, so it can never apply' })
    })
  }

  if (problems.length > before) return null
  return {
    name,
    template: config.prompt,
    takesArgs: config.prompt.includes('{args}'),
    description: config.description ?? null,
    allow,
    argsMatch,
    choices,
    confirm
  }
}

function compileCaller (
  id: string,
  config: CallerConfig,
  commands: Readonly<Record<string, CommandConfig>>,
  problems: ConfigProblem[]
): CompiledCaller {
  const at = (...rest: Array<string | number>) => jsonPointer('callers', id, ...rest)
  const allowed = new Map<string, ToolPolicy>()
  ;(config.commands ?? []).forEach((name, i) => {
    if (isBuiltin(name)) {
      problems.push({ path: at('commands', i), message: `"${name}" is a built-in command, always available; remove it from the list` })
    } else if (!Object.hasOwn(commands, name)) {
      problems.push({ path: at('commands', i), message: `unknown command "${name}" (not defined under /commands)` })
    } else {
      allowed.set(name, narrowTools(config.tools, commands[name]?.tools))
    }
  })
  const defaultCommand = config.default_command ?? null
  if (defaultCommand !== null && !allowed.has(defaultCommand)) {
    const why = Object.hasOwn(commands, defaultCommand)
      ? `"${defaultCommand}" is not in this caller's commands`
      : `unknown command "${defaultCommand}" (not defined under /commands)`
    problems.push({ path: at('default_command'), message: why })
  }
  return { id, commands: allowed, defaultCommand, tools: narrowTools(config.tools, undefined) }
}

/** The matching form of an operator-written value (a choice or a confirm value). */
function matchForm (value: string, path: string, problems: ConfigProblem[]): string {
  const normalized = normalizeText(value)
  if (!normalized.ok) {
    problems.push({ path, message: `value is refused by normalisation (${normalized.reason})` })
    return ''
  }
  if (normalized.matchText === '') problems.push({ path, message: 'value is empty after normalisation' })
  return normalized.matchText
}
