// `hookgate openapi`: the OpenAPI document, built from the route schemas exactly as the server builds
// it. The document does not depend on the config, so a throwaway in-memory config is enough; nothing
// is read from or written to the user's state directory, and no agent can start.
import { tmpdir } from 'node:os'
import { Writable } from 'node:stream'
import { buildApp } from '../app.ts'
import type { AuditSink } from '../audit/audit-log.ts'
import { buildConfig } from '../config/load.ts'
import type { Launcher } from '../runner/launcher.ts'
import { MemoryStore } from '../store/memory-store.ts'
import { noPositionals, parseFlags } from './args.ts'
import { EXIT, type CliContext, type Command } from './context.ts'

const usage = `Usage: hookgate openapi

Print the OpenAPI 3.1 document as JSON: the same bytes as GET /openapi.json and as
openapi/openapi.json in the repository (npm run openapi regenerates that file).

Options:
  -h, --help    show this help
`

const discardAudit: AuditSink = { append () {} }

const noLauncher: Launcher = {
  launch () { throw new Error('hookgate openapi never runs an agent') }
}

/** The document as GET /openapi.json serves it. */
export async function openapiDocument (): Promise<unknown> {
  const config = buildConfig({
    state_dir: tmpdir(),
    agent: { profile: 'demo' },
    log: { level: 'silent' },
    commands: { run: { prompt: '{args}' } },
    callers: { openapi: { scheme: 'hmac-sha256', secrets: ['openapi-document-placeholder-secret'], commands: ['run'], default_command: 'run' } }
  }, { source: null, baseDir: tmpdir() })
  const discard = new Writable({ write (_chunk, _encoding, done) { done() } })
  const app = await buildApp(config, { env: {}, launcher: noLauncher, audit: discardAudit, store: new MemoryStore(), now: Date.now, logStream: discard })
  try {
    await app.ready()
    return app.swagger()
  } finally {
    await app.close()
  }
}

async function run (args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseFlags(args, {})
  if (parsed === null) {
    ctx.stdout.write(usage)
    return EXIT.ok
  }
  noPositionals(parsed.positionals)
  ctx.stdout.write(JSON.stringify(await openapiDocument(), null, 2) + '\n')
  return EXIT.ok
}

export const openapiCommand: Command = { name: 'openapi', usage, run }
