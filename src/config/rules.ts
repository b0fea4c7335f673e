// Fail-closed rules the schema cannot express. They run even when the schema found problems, so
// one `hookgate check` lists everything; hence every access below tolerates a wrong shape (the
// schema has already reported it) instead of assuming the validated type.
import { BUILTIN_COMMANDS, isBuiltin } from '../policy/builtins.ts'
import { compileLinear } from '../policy/linear-regex.ts'
import { adminTokenProblem, secretKey } from './secrets.ts'
import { childPointer, isObject, type ConfigProblem, type JsonObject } from './problems.ts'
import { platformCallerProblems } from './platform-rules.ts'
import { agentProblems } from './agent-rules.ts'

/** Schemes whose signature always covers a timestamp, so max_age 0 cannot mean "no timestamp". */
const TIMESTAMPED: ReadonlySet<string> = new Set(['standard-webhooks', 'slack', 'discord'])

/** Problems in a defaulted (not necessarily valid) configuration value. */
export function ruleProblems (config: unknown): ConfigProblem[] {
  if (!isObject(config)) return []
  return [
    ...secretProblems(config),
    ...commandProblems(config),
    ...patternProblems(config),
    ...limitProblems(config),
    ...agentProblems(config),
    ...scaleOutProblems(config)
  ]
}

/** Workers take runs from a queue in Redis: without a redis store nothing would ever run them. */
function scaleOutProblems (config: JsonObject): ConfigProblem[] {
  const redis = typeof config.store === 'string' && /^rediss?:\/\//.test(config.store)
  if (config.execution === 'workers' && !redis) {
    return [{ path: '/execution', message: '`workers` needs `store: redis://…` (the queue and the runs are shared through Redis)' }]
  }
  return []
}

/**
 * Every operator-written pattern that the linear-time engine cannot run.
 * The single place patterns are checked at load, so it can switch to the policy compiler.
 */
export function patternProblems (config: JsonObject): ConfigProblem[] {
  const patterns: Array<{ path: string, source: string }> = []
  const policy = objectAt(config, 'policy')
  for (const [i, source] of strings(policy.block)) patterns.push({ path: childPointer('/policy/block', i), source })
  for (const [name, command] of entries(config.commands)) {
    const base = childPointer('/commands', name)
    for (const [i, source] of strings(command.allow)) patterns.push({ path: childPointer(`${base}/allow`, i), source })
    if (typeof command.args_match === 'string') patterns.push({ path: `${base}/args_match`, source: command.args_match })
  }
  const problems: ConfigProblem[] = []
  for (const { path, source } of patterns) {
    try {
      compileLinear(source)
    } catch (err) {
      problems.push({ path, message: (err as Error).message })
    }
  }
  return problems
}

function secretProblems (config: JsonObject): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  // A secret shared by two callers lets either one sign requests as the other; the admin token
  // is included so it cannot double as a signing secret.
  const firstUse = new Map<string, string>()
  const remember = (key: Buffer, path: string): void => {
    const id = key.toString('hex')
    const first = firstUse.get(id)
    if (first === undefined) firstUse.set(id, path)
    else problems.push({ path, message: `same secret as ${first}: every secret must be different` })
  }
  if (typeof config.admin_token === 'string') {
    const problem = adminTokenProblem(config.admin_token)
    if (problem !== null) problems.push({ path: '/admin_token', message: problem })
    else remember(Buffer.from(config.admin_token, 'utf8'), '/admin_token')
  }
  for (const [id, caller] of entries(config.callers)) {
    if (typeof caller.scheme !== 'string') continue
    for (const [i, secret] of strings(caller.secrets)) {
      const path = childPointer(childPointer(`/callers`, id) + '/secrets', i)
      const result = secretKey(caller.scheme, secret)
      if ('error' in result) problems.push({ path, message: `secret ${result.error}` })
      else remember(result.key, path)
    }
    problems.push(...platformCallerProblems(id, caller, remember))
    if (caller.max_age === 0 && TIMESTAMPED.has(caller.scheme)) {
      problems.push({ path: `${childPointer('/callers', id)}/max_age`, message: `max_age 0 (no signed timestamp) is only allowed for scheme "hmac-sha256"; ${caller.scheme} always signs a timestamp` })
    }
  }
  return problems
}

function commandProblems (config: JsonObject): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const defined = entries(config.commands).map(([name]) => name)
  for (const name of defined) {
    if (isBuiltin(name)) {
      problems.push({ path: childPointer('/commands', name), message: `"${name}" is a built-in command (${BUILTIN_COMMANDS.join(', ')}); choose another name` })
    }
  }
  const available = defined.filter((name) => !isBuiltin(name))
  for (const [id, caller] of entries(config.callers)) {
    const base = childPointer('/callers', id)
    const listed = strings(caller.commands)
    for (const [i, name] of listed) {
      if (available.includes(name)) continue
      const message = isBuiltin(name)
        ? `"${name}" is a built-in, always available: remove it from commands`
        : `unknown command "${name}"; ${available.length > 0 ? `defined commands: ${available.join(', ')}` : 'no commands are defined under `commands:`'}`
      problems.push({ path: childPointer(`${base}/commands`, i), message })
    }
    const fallback = caller.default_command
    if (typeof fallback === 'string' && !listed.some(([, name]) => name === fallback)) {
      problems.push({ path: `${base}/default_command`, message: `default_command "${fallback}" must also be listed in this caller's commands` })
    }
  }
  return problems
}

function limitProblems (config: JsonObject): ConfigProblem[] {
  const limits = objectAt(config, 'limits')
  const { sync_wait: wait, max_sync_wait: max } = limits
  if (typeof wait === 'number' && typeof max === 'number' && max < wait) {
    return [{ path: '/limits/max_sync_wait', message: `max_sync_wait (${max}) must not be less than sync_wait (${wait})` }]
  }
  return []
}

function objectAt (parent: JsonObject, key: string): JsonObject {
  const value = parent[key]
  return isObject(value) ? value : {}
}

function entries (value: unknown): Array<[string, JsonObject]> {
  return isObject(value) ? Object.entries(value).filter((e): e is [string, JsonObject] => isObject(e[1])) : []
}

function strings (value: unknown): Array<[number, string]> {
  return Array.isArray(value) ? value.flatMap((v, i): Array<[number, string]> => typeof v === 'string' ? [[i, v]] : []) : []
}
