// The command policy, compiled once at load: which text may become a prompt, for which caller, with
// which tools. `resolve` is pure and total: every path ends in a decision, and every refusal names
// the rule that refused without echoing the refused text (it goes to the agent or nowhere).
import { isBuiltin, type BuiltinName } from './builtins.ts'
import { normalizeText, toMatchText } from './normalize.ts'
import { parseCommandText } from './parse-command.ts'
import type { ToolPolicy } from './tool-narrowing.ts'

export type Resolution =
  /** `rule` is for the 403 message and the audit log. */
  | { kind: 'denied', rule: string }
  /** `args`: normalised, trimmed (a run id, a confirmation code, a permission id, or empty). */
  | { kind: 'builtin', name: BuiltinName, args: string }
  /**
   * `args`: normalised and trimmed, or the configured spelling when the command has `choices`.
   * `prompt`: exactly what the agent receives; it may start with `-`, so pass it after `--`.
   */
  | { kind: 'run', command: string, args: string, prompt: string, tools: ToolPolicy, needsConfirm: boolean }

export interface CompiledCommand {
  readonly name: string
  /** Validated by normalizeText at load. */
  readonly template: string
  readonly takesArgs: boolean
  readonly description: string | null
  readonly allow: readonly RegExp[] | null
  readonly argsMatch: RegExp | null
  /** `value` as configured, `match` its matching form. */
  readonly choices: ReadonlyArray<{ value: string, match: string }> | null
  /** Matching forms. */
  readonly confirm: readonly string[]
}

export interface CompiledCaller {
  readonly id: string
  /** The commands this caller may use, each with its tools already narrowed. */
  readonly commands: ReadonlyMap<string, ToolPolicy>
  readonly defaultCommand: string | null
  /** The caller's own tools, for prompts that come from its config rather than a command (GitHub). */
  readonly tools: ToolPolicy
}

export interface CompiledPolicyParts {
  readonly block: readonly RegExp[]
  readonly maxPromptChars: number
  readonly commands: ReadonlyMap<string, CompiledCommand>
  readonly callers: ReadonlyMap<string, CompiledCaller>
}

export interface CommandSummary {
  name: string
  description: string | null
  isDefault: boolean
}

const ARGS_PLACEHOLDER = '{args}'
const COMMAND_NAME = /^[a-z][a-z0-9_-]{0,31}$/

export class CompiledPolicy {
  readonly #parts: CompiledPolicyParts

  /** Use compilePolicy() (compiled-policy.ts); this takes parts that were already checked. */
  constructor (parts: CompiledPolicyParts) {
    this.#parts = parts
  }

  get maxPromptChars (): number {
    return this.#parts.maxPromptChars
  }

  /** What /help lists for a caller (built-ins come from BUILTIN_USAGE). */
  commandsFor (callerId: string): CommandSummary[] {
    const caller = this.#parts.callers.get(callerId)
    if (caller === undefined) return []
    return [...caller.commands.keys()].map((name) => ({
      name,
      description: this.#parts.commands.get(name)?.description ?? null,
      isDefault: name === caller.defaultCommand
    }))
  }

  resolve (callerId: string, rawText: string): Resolution {
    const caller = this.#parts.callers.get(callerId)
    if (caller === undefined) return denied('unknown caller')
    if (exceedsCodePoints(rawText, this.#parts.maxPromptChars)) return denied('max_prompt_chars')
    const text = normalizeText(rawText)
    if (!text.ok) return denied(text.reason)
    const blocked = this.#blockedBy(text.matchText)
    if (blocked !== null) return denied(blocked)

    const parsed = parseCommandText(text.agentText)
    if (!parsed.slash) {
      if (caller.defaultCommand === null) return denied('no default_command')
      return this.#run(caller, caller.defaultCommand, parsed.args)
    }
    if (parsed.name === '') return denied('missing command name')
    const name = toMatchText(parsed.name)
    if (isBuiltin(name)) return { kind: 'builtin', name, args: parsed.args }
    if (!this.#parts.commands.has(name)) {
      // The name is user text; echo it only when it could be a command name at all.
      return denied(COMMAND_NAME.test(name) ? `unknown command "${name}"` : 'unknown command')
    }
    if (!caller.commands.has(name)) return denied(`callers.${caller.id}.commands (command "${name}" not allowed)`)
    return this.#run(caller, name, parsed.args)
  }

  /**
   * A prompt the caller's own config produced (a GitHub failure rendered through its `prompt`
   * template): no command parsing, but the same limits and block patterns as every prompt, and the
   * caller's tools.
   */
  resolveDirect (callerId: string, command: string, rawPrompt: string): Resolution {
    const caller = this.#parts.callers.get(callerId)
    if (caller === undefined) return denied('unknown caller')
    if (exceedsCodePoints(rawPrompt, this.#parts.maxPromptChars)) return denied('max_prompt_chars')
    const prompt = normalizeText(rawPrompt)
    if (!prompt.ok) return denied(prompt.reason)
    if (prompt.matchText === '') return denied('empty prompt')
    const blocked = this.#blockedBy(prompt.matchText)
    if (blocked !== null) return denied(blocked)
    return { kind: 'run', command, args: '', prompt: prompt.agentText, tools: { allow: [...caller.tools.allow], deny: [...caller.tools.deny] }, needsConfirm: false }
  }

  /**
   * A follow-up message for a run of `command` (steering, or the next turn it queues): the global
   * policy, and the command's own argument rules applied to the text as if it were its arguments.
   * A command whose arguments are a fixed choice or need confirmation takes no free text at all.
   * The prompt is the text itself (the command's template framed the first message only).
   */
  resolveFollowUp (callerId: string, command: string, rawText: string): Resolution {
    const caller = this.#parts.callers.get(callerId)
    if (caller === undefined) return denied('unknown caller')
    const compiled = this.#parts.commands.get(command)
    if (compiled !== undefined && (compiled.choices !== null || compiled.confirm.length > 0)) return denied(`commands.${command} (takes no follow-up text)`)
    const direct = this.resolveDirect(callerId, command, rawText)
    if (direct.kind !== 'run' || compiled === undefined) return direct
    const checked = this.#run(caller, command, rawText)
    if (checked.kind !== 'run') return checked
    return { ...checked, prompt: direct.prompt }
  }

  #run (caller: CompiledCaller, name: string, rawArgs: string): Resolution {
    const command = this.#parts.commands.get(name)
    const tools = caller.commands.get(name)
    // Compilation guarantees both; refuse rather than trust that here.
    if (command === undefined || tools === undefined) return denied(`unknown command "${name}"`)
    const rule = `commands.${name}`
    const argsMatch = toMatchText(rawArgs)
    let args = rawArgs
    if (command.choices !== null) {
      const choice = command.choices.find((c) => c.match === argsMatch)
      if (choice === undefined) return denied(`${rule}.choices`)
      args = choice.value
    }
    if (command.argsMatch !== null && !command.argsMatch.test(argsMatch)) return denied(`${rule}.args_match`)
    if (command.allow !== null && !command.allow.some((re) => re.test(argsMatch))) return denied(`${rule}.allow`)
    if (!command.takesArgs && args !== '') return denied(`${rule}.prompt (takes no arguments)`)

    // split/join, not replace(): `$&` and friends in the arguments must stay literal.
    const prompt = normalizeText(command.template.split(ARGS_PLACEHOLDER).join(args))
    if (!prompt.ok) return denied(prompt.reason)
    if (prompt.matchText === '') return denied('empty prompt')
    // Check what runs: the template may add text that the request alone did not contain.
    const blocked = this.#blockedBy(prompt.matchText)
    if (blocked !== null) return denied(`${blocked} (${rule}.prompt)`)

    return {
      kind: 'run',
      command: name,
      args,
      prompt: prompt.agentText,
      tools: { allow: [...tools.allow], deny: [...tools.deny] },
      needsConfirm: command.confirm.includes(argsMatch)
    }
  }

  #blockedBy (matchText: string): string | null {
    const index = this.#parts.block.findIndex((re) => re.test(matchText))
    return index === -1 ? null : `policy.block[${index}]`
  }
}

function denied (rule: string): Resolution {
  return { kind: 'denied', rule }
}

/** Counts Unicode code points (what a user calls characters), stopping as soon as the answer is known. */
function exceedsCodePoints (text: string, max: number): boolean {
  if (text.length <= max) return false
  let count = 0
  for (const _ of text) {
    if (++count > max) return true
  }
  return false
}
