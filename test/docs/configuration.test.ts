// docs/configuration.md is generated from ConfigSchema. These tests keep the committed file equal to
// the generator's output and make a key without a description fail, so the reference cannot fall
// behind the schema. The schema walk here is written independently of the generator's.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { configReference, placeholderFor, type SchemaNode } from '../../src/config/config-reference.ts'
import { ConfigSchema } from '../../src/config/schema.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const DOC_PATH = resolve(ROOT, 'docs/configuration.md')
const run = promisify(execFile)

interface Key {
  path: string
  description: string | undefined
  /** True when no table lists keys below this one. */
  leaf: boolean
}

/** Every key a config file can set: named properties, and each record's entries under its placeholder. */
function keysOf (node: SchemaNode, prefix = ''): Key[] {
  const keys: Key[] = []
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? name : `${prefix}.${name}`
    const records = Object.values(child.patternProperties ?? {})
    if (child.properties !== undefined) {
      keys.push({ path, description: child.description, leaf: false }, ...keysOf(child, path))
    } else if (records.length === 1 && records[0]!.properties !== undefined) {
      keys.push({ path, description: child.description, leaf: false }, ...keysOf(records[0]!, `${path}.${placeholderFor(path)}`))
    } else if (records.length === 1) {
      keys.push({ path: `${path}.${placeholderFor(path)}`, description: records[0]!.description ?? child.description, leaf: true })
    } else {
      keys.push({ path, description: child.description, leaf: true })
    }
  }
  return keys
}

const tableRow = (path: string): RegExp => new RegExp(`^\\| \`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` \\|`, 'm')

const withoutDescription = (schema: SchemaNode): string[] =>
  keysOf(schema).filter((k) => (k.description ?? '').trim() === '').map((k) => k.path)

describe('docs/configuration.md', () => {
  const committed = readFileSync(DOC_PATH, 'utf8')
  const schema = ConfigSchema as unknown as SchemaNode

  it('is what the generator renders from the schema', () => {
    expect(committed === configReference(), 'docs/configuration.md is out of date: run node scripts/config-reference.ts > docs/configuration.md').toBe(true)
  })

  it('is what scripts/config-reference.ts prints', async () => {
    const { stdout } = await run(process.execPath, [resolve(ROOT, 'scripts/config-reference.ts')], { cwd: ROOT, timeout: 15_000 })
    expect(stdout).toBe(configReference())
  })

  it('has a table row for every leaf key of the schema', () => {
    const leaves = keysOf(schema).filter((k) => k.leaf).map((k) => k.path)
    // Sanity: the walk reaches deep keys, records of objects and records of values.
    expect(leaves).toEqual(expect.arrayContaining(['server.host', 'limits.per_address.max', 'callers.<id>.reply.token', 'commands.<name>.tools.deny', 'projects.<name>']))
    expect(leaves.filter((path) => !tableRow(path).test(committed))).toEqual([])
  })

  it('has a section for every top-level key', () => {
    const missing = Object.keys(schema.properties ?? {}).filter((key) => !committed.includes(`\n## \`${key}\`\n`))
    expect(missing).toEqual([])
  })

  it('describes every key: the schema has a non-empty description on each', () => {
    expect(withoutDescription(schema)).toEqual([])
  })

  it('would catch a key added without a description', () => {
    const extended = Type.Object({
      ...ConfigSchema.properties,
      metrics: Type.Optional(Type.Object({ enabled: Type.Boolean() }, { description: 'Metrics' }))
    }) as unknown as SchemaNode
    expect(withoutDescription(extended)).toEqual(['metrics.enabled'])
  })

  it('would catch a key added to the schema but not to the committed file', () => {
    const extended = Type.Object({
      ...ConfigSchema.properties,
      metrics: Type.Optional(Type.Object({ path: Type.String({ default: '/metrics', description: 'Where metrics are served' }) }, { description: 'Metrics' }))
    })
    const rendered = configReference(extended)
    expect(rendered).not.toBe(committed)
    expect(rendered).toMatch(tableRow('metrics.path'))
    expect(committed).not.toMatch(tableRow('metrics.path'))
  })
})

describe('configReference', () => {
  const doc = configReference()
  const rowOf = (path: string): string => doc.split('\n').find((line) => tableRow(path).test(line)) ?? ''

  it.each([
    ['server.port', /\| integer \| `8787` \|.*\| ≥ 0; ≤ 65535 \|$/],
    ['store', /\| `"sqlite"`, `"memory"` or string \| `"sqlite"` \|.*\| string: matches `\^rediss\?:\/\/\[\^\\s\]\+\$` \|$/],
    ['limits.per_address', /\| object \| `\{"max":600,"window":60\}` \|/],
    ['limits.per_address.window', /\| required; ≥ 1 \|$/],
    ['callers.<id>.secrets', /\| list of string \|.*\| required; at least 1 item; at most 8 items \|$/],
    ['callers.<id>.reply.account_sid', /\| matches `\^AC\[0-9a-fA-F\]\{32\}\$` \|$/],
    ['projects.<name>', /\| map of string \| `\{\}` \|.*\| names match `.+`; each value: not empty \|$/],
    ['agent.env', /\| each item: matches `.+` \|$/],
    ['policy.block', /\| at most 200 items; each item: not empty, at most 512 characters \|$/]
  ])('renders %s with its type, default and constraints', (path, expected) => {
    expect(rowOf(path)).toMatch(expected)
  })

  it('states the names a record takes', () => {
    expect(doc).toContain('Each `<id>` is a name matching `^[A-Za-z0-9_-]{1,64}$`.')
    expect(doc).toContain('Each `<name>` is a name matching `^[a-z][a-z0-9_-]{0,31}$`.')
  })

  it('escapes a | so it cannot split a table cell', () => {
    const schema = Type.Object({ pick: Type.Optional(Type.String({ pattern: '^(a|b)$', description: 'one | two' })) })
    const line = configReference(schema).split('\n').find((l) => l.startsWith('| `pick`'))!
    expect(line).toBe('| `pick` | string |  | one \\| two | matches `^(a\\|b)$` |')
  })
})
