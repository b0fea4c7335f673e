// deploy/hookgate.example.yaml documents every key; these tests keep it loading and complete.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { loadConfigFile } from '../../src/config/load.ts'
import { ConfigSchema } from '../../src/config/schema.ts'

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'hookgate.example.yaml')
const ENV = {
  HOOKGATE_ADMIN_TOKEN: 'e'.repeat(64),
  CI_WEBHOOK_SECRET: 'c'.repeat(64),
  APP_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
  CI_CALLBACK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
  TWILIO_AUTH_TOKEN: 'a'.repeat(32),
  LINE_CHANNEL_SECRET: 'b'.repeat(32),
  LINE_CHANNEL_ACCESS_TOKEN: 'line-access-token',
  TEAMS_SECURITY_TOKEN: Buffer.alloc(32, 5).toString('base64'),
  TEAMS_WORKFLOW_URL: 'https://prod-00.westus.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=abc',
  SLACK_SIGNING_SECRET: 'd'.repeat(32),
  SLACK_BOT_TOKEN: 'xoxb-test',
  TELEGRAM_SECRET_TOKEN: 'telegram_secret_token_0123456789',
  TELEGRAM_BOT_TOKEN: '123456:ABC-DEF',
  DISCORD_PUBLIC_KEY: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  GITHUB_WEBHOOK_SECRET: 'f'.repeat(32),
  REDIS_PASSWORD: 'redis-password-0123456789',
  HOOKGATE_METRICS_TOKEN: 'm'.repeat(64)
}

type Node = Record<string, unknown>
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Every key path the schema allows; `*` stands for a record key (a caller id, a command name). */
function schemaKeyPaths (schema: unknown, prefix = ''): string[] {
  if (!isNode(schema)) return []
  const paths: string[] = []
  if (isNode(schema.properties)) {
    for (const [key, sub] of Object.entries(schema.properties)) paths.push(`${prefix}${key}`, ...schemaKeyPaths(sub, `${prefix}${key}.`))
  }
  if (isNode(schema.patternProperties)) {
    for (const sub of Object.values(schema.patternProperties)) paths.push(...schemaKeyPaths(sub, `${prefix}*.`))
  }
  if (isNode(schema.items)) paths.push(...schemaKeyPaths(schema.items, prefix))
  for (const branch of Array.isArray(schema.anyOf) ? schema.anyOf : []) paths.push(...schemaKeyPaths(branch, prefix))
  return paths
}

/** The key paths a document uses, with record keys written as `*` where the schema has a record. */
function documentKeyPaths (doc: unknown, schema: unknown, prefix = ''): string[] {
  if (!isNode(doc) || !isNode(schema)) return []
  const paths: string[] = []
  const properties = isNode(schema.properties) ? schema.properties : {}
  const record = isNode(schema.patternProperties) ? Object.values(schema.patternProperties)[0] : undefined
  for (const [key, value] of Object.entries(doc)) {
    const sub = properties[key] ?? record
    const name = key in properties ? key : '*'
    if (name !== '*') paths.push(`${prefix}${name}`)
    paths.push(...documentKeyPaths(value, sub, `${prefix}${name}.`))
  }
  return paths
}

describe('deploy/hookgate.example.yaml', () => {
  it('loads, with the variables it names set', () => {
    const { config, warnings } = loadConfigFile(EXAMPLE, ENV)
    expect(Object.keys(config.callers)).toEqual(['ci', 'app', 'phone', 'line', 'teams', 'slack', 'telegram', 'discord', 'github'])
    expect(Object.keys(config.commands)).toEqual(['run', 'test', 'deploy', 'git'])
    expect(config.admin_token).toBe(ENV.HOOKGATE_ADMIN_TOKEN)
    expect(config.callers.app?.secrets).toEqual([ENV.APP_WEBHOOK_SECRET])
    expect(warnings).toEqual([])
  })

  it('names every environment variable it needs in its header', () => {
    const text = readFileSync(EXAMPLE, 'utf8')
    const values = JSON.stringify(parse(text))
    const used = new Set([...values.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]))
    expect([...used].sort()).toEqual(Object.keys(ENV).sort())
    const header = text.split('\n').filter((l) => l.startsWith('#')).join('\n')
    for (const name of used) expect(header).toContain(name as string)
  })

  it('fails without those variables', () => {
    expect(() => loadConfigFile(EXAMPLE, {})).toThrow(/HOOKGATE_ADMIN_TOKEN is not set/)
  })

  it('uses every key of the schema, so it cannot drift from it', () => {
    const documented = new Set(documentKeyPaths(parse(readFileSync(EXAMPLE, 'utf8')), ConfigSchema))
    // A caller's own `agent:` takes exactly the keys of the global one, which are documented there.
    const sameAsGlobal = (path: string): boolean => path.startsWith('callers.*.agent.') && documented.has(path.slice('callers.*.'.length))
    const missing = schemaKeyPaths(ConfigSchema).filter((path) => !documented.has(path) && !sameAsGlobal(path))
    expect(missing).toEqual([])
  })

  it('walks the whole schema (guards the walker itself)', () => {
    const paths = schemaKeyPaths(ConfigSchema)
    expect(paths).toEqual(expect.arrayContaining([
      'server.trust_proxy', 'limits.per_address.window', 'commands.*.tools.deny', 'callers.*.rate_limit.max', 'log.level'
    ]))
  })
})
