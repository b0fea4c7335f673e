// `agent.sandbox: bwrap` through the real gateway and the real bubblewrap: the agent runs in its own
// PID namespace, writes only to its working directory, never sees the gateway's state, and a gateway
// without bubblewrap fails the run instead of running the agent unconfined.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { bwrapStatus } from '../../src/runner/sandbox/find-bwrap.ts'
import { buildTestGateway, type TestGateway } from '../helpers/build-app.ts'
import type { Run } from '../../src/schemas/run.ts'

// Run by the agent inside the sandbox: reports what it could see and do, as one JSON line.
const PROBE = `
const fs = require('node:fs')
const [stateDir, outside] = process.argv.slice(1)
const attempt = (f) => { try { return f() } catch (e) { return 'error:' + e.code } }
console.log(JSON.stringify({
  pid: process.pid,
  cwd: process.cwd(),
  writeCwd: attempt(() => { fs.writeFileSync('made-by-agent.txt', 'x'); return 'ok' }),
  writeOutside: attempt(() => { fs.writeFileSync(outside + '/escaped.txt', 'x'); return 'ok' }),
  stateEntries: attempt(() => fs.readdirSync(stateDir)),
  audit: attempt(() => fs.readFileSync(stateDir + '/audit.jsonl', 'utf8').length)
}))
`

async function sandboxed (bwrapPath: string | undefined): Promise<{ gw: TestGateway, project: string, outside: string }> {
  // Not under /tmp: inside the sandbox /tmp is a fresh tmpfs of its own.
  const root = mkdtempSync('/var/tmp/hookgate-sandbox-')
  onTestFinished(() => rmSync(root, { recursive: true, force: true }))
  const project = join(root, 'project')
  const outside = join(root, 'outside')
  mkdirSync(project)
  mkdirSync(outside)
  writeFileSync(join(project, 'README'), 'project file')
  const stateDir = join(root, 'state')
  mkdirSync(stateDir)
  const gw = await buildTestGateway({
    stateDir,
    agent: `{ profile: command, argv: [${process.execPath}, -e, ${JSON.stringify(PROBE)}, ${stateDir}, ${outside}], cwd: ${project}, sandbox: bwrap, timeout: 20 }`,
    ...(bwrapPath !== undefined ? { deps: { bwrapPath } } : {})
  })
  onTestFinished(() => gw.close())
  return { gw, project: realpathSync(project), outside }
}

async function run (gw: TestGateway): Promise<Run> {
  const { payload, headers } = gw.signed({ text: 'probe' })
  const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci?wait=20', payload, headers })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as Run
}

describe('sandbox: bwrap', () => {
  it('contains the agent: own PID namespace, writes only where it works, the gateway state invisible', async () => {
    const status = await bwrapStatus(process.env.PATH)
    if (!status.ok) throw new Error(`bubblewrap must work here (CI installs it): ${status.message}`)
    const { gw, project } = await sandboxed(status.path)
    const result = await run(gw)
    expect(result.status, result.error ?? '').toBe('succeeded')
    const seen = JSON.parse(result.output) as Record<string, unknown>
    expect(seen.pid).toBeLessThan(10)
    expect(seen.cwd).toBe(project)
    expect(seen.writeCwd).toBe('ok')
    expect(seen.writeOutside).toMatch(/^error:(EROFS|EACCES)$/)
    // The state directory is covered by an empty, read-only tmpfs (the agents/ dir shows through only
    // where an agent's own state is bound back; the command profile has none).
    expect(seen.stateEntries).toEqual([])
    expect(seen.audit).toBe('error:ENOENT')
    // Meanwhile the gateway's own audit log is there and growing.
    expect(gw.audit().some((e) => e.event === 'started')).toBe(true)
  })

  it('fails the run, without starting the agent, when bubblewrap is not available', async () => {
    const { gw } = await sandboxed(undefined)
    const result = await run(gw)
    expect(result.status).toBe('failed')
    expect(result.error).toMatch(/agent not started: sandbox: bwrap is configured but bubblewrap is not available/)
    expect(gw.audit().some((e) => e.event === 'started')).toBe(false)
  })
})
