// Loads the one configuration file: YAML → `${NAME}` substitution → defaults → schema → fail-closed
// rules → resolved paths → frozen Config. Nothing partial ever comes out: any problem throws a
// ConfigError that lists every problem found, each with its JSON pointer (and its line, for files).
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { LineCounter, isCollection, parseDocument, visit, type Document } from 'yaml'
import { ConfigError } from '../errors.ts'
import { applyDefaults } from './defaults.ts'
import { substituteEnv } from './env-subst.ts'
import { isObject, pointerSegments, type ConfigProblem, type JsonObject } from './problems.ts'
import { ruleProblems } from './rules.ts'
import { policyProblems } from '../policy/compiled-policy.ts'
import { profileFor } from '../runner/profiles/index.ts'
import { ConfigSchema, type Config } from './schema.ts'
import { schemaProblems } from './validate.ts'
import { configWarnings } from './warnings.ts'

/** A loaded configuration and its non-fatal findings, each formatted `path: message` like ConfigError lines. */
export interface ConfigLoadResult {
  readonly config: Config
  readonly warnings: readonly string[]
}

export interface ConfigOrigin {
  /** Path of the file the text came from (made absolute), or null for a built-in configuration. */
  readonly source: string | null
  /** Directory that relative paths (`state_dir`, `agent.cwd`) are resolved against. */
  readonly baseDir: string
}

/** Reads and loads a configuration file; relative paths in it are relative to the file's directory. */
export function loadConfigFile (path: string, env: NodeJS.ProcessEnv): ConfigLoadResult {
  const source = resolve(path)
  let text: string
  try {
    text = readFileSync(source, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message
    throw new ConfigError([{ path: '', message: `cannot read ${source}: ${why}` }])
  }
  return parseConfig(text, env, { source, baseDir: dirname(source) })
}

/** Loads configuration YAML text. @throws ConfigError listing every problem. */
export function parseConfig (yamlText: string, env: NodeJS.ProcessEnv, opts: ConfigOrigin): ConfigLoadResult {
  const lineCounter = new LineCounter()
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const yamlProblems = [
    ...doc.errors.map((e) => yamlProblem('YAML syntax error', e.message, lineCounter.linePos(e.pos[0]))),
    ...doc.warnings.map((e) => yamlProblem('YAML problem', e.message, lineCounter.linePos(e.pos[0])))
  ]
  // A list or mapping used as a key would be stringified into a key nobody wrote.
  visit(doc, {
    Pair (_, pair) {
      if (isCollection(pair.key)) yamlProblems.push(yamlProblem('YAML problem', 'a key must be plain text, not a list or mapping', lineCounter.linePos(pair.key.range?.[0] ?? 0)))
    }
  })
  if (yamlProblems.length > 0) throw new ConfigError(yamlProblems)
  let raw: unknown
  try {
    raw = doc.toJS({ maxAliasCount: 100 })
  } catch (err) {
    throw new ConfigError([{ path: '', message: `YAML error: ${(err as Error).message}` }])
  }
  const substituted = substituteEnv(raw, env)
  const failed = new Set(substituted.problems.map((p) => p.path))
  const built = tryBuild(substituted.value, opts, substituted.whole, substituted.values)
  // A value that could not be substituted would only add noise ("secret is 0 bytes").
  const problems = [...substituted.problems, ...built.problems.filter((p) => !failed.has(p.path))]
  if (problems.length > 0 || built.config === null) throw new ConfigError(withLines(problems, doc, lineCounter))
  const warnings = withLines(configWarnings(built.config), doc, lineCounter).map(formatProblem)
  return { config: built.config, warnings }
}

/** `path: message`, the line format of ConfigError. */
export function formatProblem (problem: ConfigProblem): string {
  return `${problem.path || '/'}: ${problem.message}`
}

/**
 * Loads a configuration given as a value rather than text (the built-in quick-start config);
 * it goes through the same defaults, schema and rules as a file. @throws ConfigError
 */
export function buildConfig (input: unknown, opts: ConfigOrigin): Config {
  const built = tryBuild(structuredClone(input), opts, new Set(), [])
  if (built.config === null) throw new ConfigError(built.problems)
  return built.config
}

function tryBuild (input: unknown, opts: ConfigOrigin, coercible: ReadonlySet<string>, substituted: readonly string[]): { config: Config | null, problems: ConfigProblem[] } {
  if (!isObject(input)) {
    const message = input === null || input === undefined
      ? 'the configuration is empty: it needs at least a `callers:` section'
      : 'the configuration must be a mapping (key: value) at the top level'
    return { config: null, problems: [{ path: '', message }] }
  }
  const value = applyDefaults(ConfigSchema, input, coercible) as JsonObject
  const problems = [...schemaProblems(ConfigSchema, value), ...ruleProblems(value)]
  if (problems.length > 0) return { config: null, problems }
  // The policy compiler needs a valid shape; it finds what only compiling reveals (a block pattern
  // that matches everything, a confirm value outside choices), so `hookgate check` reports it too.
  const policy = policyProblems(value as unknown as Config)
  return { config: policy.length > 0 ? null : finish(value, opts, substituted), problems: policy }
}

function finish (valid: JsonObject, opts: ConfigOrigin, substituted: readonly string[]): Config {
  const agent = valid.agent as JsonObject
  const callers = Object.fromEntries(Object.entries(valid.callers as Record<string, JsonObject>).map(([id, caller]) => {
    const own = caller.agent as JsonObject | undefined
    if (own === undefined || typeof own.cwd !== 'string') return [id, caller]
    return [id, { ...caller, agent: { ...own, cwd: resolve(opts.baseDir, own.cwd) } }]
  }))
  const projects = Object.fromEntries(Object.entries(valid.projects as Record<string, string>).map(([name, dir]) => [name, resolve(opts.baseDir, dir)]))
  const config = {
    ...valid,
    callers,
    projects,
    state_dir: resolve(opts.baseDir, valid.state_dir as string),
    agent: {
      ...agent,
      command: typeof agent.command === 'string' ? agent.command : profileFor(agent.profile as string).defaultCommand,
      cwd: resolve(opts.baseDir, agent.cwd as string)
    },
    source: opts.source === null ? null : resolve(opts.source),
    demo: agent.profile === 'demo',
    secret_values: [...substituted]
  }
  return deepFreeze(config) as unknown as Config
}

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

function yamlProblem (what: string, message: string, pos: { line: number, col: number }): ConfigProblem {
  return { path: '', message: `${what} at line ${pos.line}, column ${pos.col}: ${message}` }
}

/** Adds the line of the offending node (or of its nearest existing parent) and sorts by line. */
function withLines (problems: ConfigProblem[], doc: Document, lineCounter: LineCounter): ConfigProblem[] {
  const located = problems.map((problem, index) => {
    const line = lineOf(pointerSegments(problem.path), doc, lineCounter)
    return { index, line, problem: line === null ? problem : { path: problem.path, message: `${problem.message} [line ${line}]` } }
  })
  located.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || a.index - b.index)
  return located.map((l) => l.problem)
}

function lineOf (segments: string[], doc: Document, lineCounter: LineCounter): number | null {
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true)
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range
    if (range !== undefined) return lineCounter.linePos(range[0]).line
  }
  return null
}
