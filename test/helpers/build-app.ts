// Builds a real gateway for a test: a config parsed from YAML exactly as a user would write it, a
// temp state directory with a real audit log, the real runner and the fake `claude` fixture.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { onTestFinished } from 'vitest'
import { buildApp, type AppOptions } from '../../src/app.ts'
import { AuditLog } from '../../src/audit/audit-log.ts'
import { parseConfig } from '../../src/config/load.ts'
import type { Config } from '../../src/config/schema.ts'
import { launcher } from './launcher.ts'
import { createStore } from '../../src/store/create-store.ts'
import type { RedisStore } from '../../src/store/redis-store.ts'
import type { RunStore } from '../../src/store/run-store.ts'
import { isShared } from '../../src/store/shared-store.ts'
import { signHmacSha256 } from './sign.ts'

export const FAKE_CLAUDE = resolve(import.meta.dirname, '../fixtures/fake-claude.mjs')
export const SECRET = 'test-secret-0123456789abcdef0123'
export const ADMIN = 'admin-token-0123456789abcdef'

export interface TestGateway {
  app: FastifyInstance
  config: Config
  /** The gateway's store, for tests that watch how it is read. */
  store: RunStore
  stateDir: string
  logs: string[]
  audit (): Array<Record<string, unknown>>
  /** Signs `body` for caller `ci` (hmac-sha256) at the gateway's clock. */
  signed (body: unknown, headers?: Record<string, string>): { payload: string, headers: Record<string, string> }
  close (): Promise<void>
}

export interface TestGatewayOptions {
  /** YAML flow mappings replacing parts of the base config. */
  callers?: string
  limits?: string
  policy?: string
  agentExtra?: string
  /** Replaces the whole agent mapping (YAML flow mapping). */
  agent?: string
  env?: NodeJS.ProcessEnv
  now?: () => number
  sse?: AppOptions['sse']
  /** Reuse this state directory (a restart); it is then left in place on close. */
  stateDir?: string
  /** YAML flow mapping for `server:`. */
  server?: string
  /** Extra dependencies for buildApp (outbound client, link key, …). */
  deps?: Partial<AppOptions>
  /** Top-level YAML appended to the config (sessions:, permissions:, projects:, …). */
  extra?: string
}

export const CI_CALLER = `{ ci: { scheme: hmac-sha256, secrets: [${SECRET}], commands: [run, deploy, git], default_command: run } }`

export function baseYaml (stateDir: string, opts: TestGatewayOptions = {}): string {
  return `
state_dir: ${stateDir}
server: ${opts.server ?? '{}'}
callers: ${opts.callers ?? CI_CALLER}
limits: ${opts.limits ?? '{}'}
policy: ${opts.policy ?? "{ block: ['rm\\s+-rf'] }"}
admin_token: ${ADMIN}
log: { level: warn }
agent: ${opts.agent ?? `
  profile: claude
  command: ${process.execPath}
  args: [${FAKE_CLAUDE}]
  env: [FAKE_CLAUDE_MODE, FAKE_CLAUDE_DELAY_MS, FAKE_CLAUDE_FLOOD_BYTES, FAKE_CLAUDE_TOOL, FAKE_CLAUDE_ASKS]
  timeout: 20
  kill_grace: 1
  ${opts.agentExtra ?? ''}`}
commands:
  run: { prompt: "{args}", description: Ask the agent }
  deploy:
    prompt: "Deploy to {args}."
    choices: [staging, production]
    confirm: [production]
  git:
    prompt: "Run git {args}"
    args_match: '^(status|log|diff)\\b'
${opts.extra ?? ''}
`
}

export async function buildTestGateway (opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'hookgate-test-'))
  const yaml = baseYaml(stateDir, opts)
  const { config } = parseConfig(yaml, {}, { source: null, baseDir: stateDir })
  const logs: string[] = []
  const logStream = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  const now = opts.now ?? Date.now
  const audit = new AuditLog(config.state_dir, now)
  const store = await createStore(config)
  // As `serve` does: a shared store is connected before the gateway starts (recovery reads it).
  if (isShared(store) && !(await (store as RedisStore).ready(5000))) throw new Error(`no Redis at ${config.store}`)
  const app = await buildApp(config, {
    store,
    env: { PATH: process.env.PATH, ...opts.env },
    launcher,
    audit,
    now,
    logStream,
    ...(opts.sse !== undefined ? { sse: opts.sse } : {}),
    ...opts.deps
  })
  await app.ready()
  return {
    app,
    config,
    store,
    stateDir,
    logs,
    audit: () => readFileSync(join(stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    signed (body, headers = {}) {
      const payload = typeof body === 'string' ? body : JSON.stringify(body)
      const ts = Math.floor(now() / 1000)
      return {
        payload,
        headers: {
          'content-type': 'application/json',
          'x-webhook-timestamp': String(ts),
          'x-webhook-signature': signHmacSha256(SECRET, payload, ts),
          ...headers
        }
      }
    },
    async close () {
      await app.close()
      await store.close()
      audit.close()
      if (opts.stateDir === undefined) rmSync(stateDir, { recursive: true, force: true })
    }
  }
}

/** A test gateway closed when the current test finishes. */
export async function testGateway (opts?: TestGatewayOptions): Promise<TestGateway> {
  const gw = await buildTestGateway(opts)
  onTestFinished(() => gw.close())
  return gw
}
