// Hot reload of the config on a real gateway process: SIGHUP and POST /v1/admin/reload read the file
// again; a valid config applies at once to new requests (a rotated secret: the old one is refused,
// the new one accepted) while a run already executing keeps its own; an invalid one, or one that
// changes a restart-only key, is refused with its problems and the running config stays.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ADMIN_TOKEN, SECRET, chaosConfig, cleanupGatewayProcesses, postSigned, startGatewayProcess, waitFor, type GatewayProcess
} from '../helpers/gateway-process.ts'
import { body, getRun } from '../reliability/util.ts'

afterEach(cleanupGatewayProcesses)

const ROTATED = 'rotated-secret-0123456789abcdef0123456789'

/** Rewrites the gateway's config file through `edit` (the state_dir line the helper put first stays). */
function rewrite (gw: GatewayProcess, edit: (yaml: string) => string): void {
  writeFileSync(gw.configPath, edit(readFileSync(gw.configPath, 'utf8')))
}

async function reload (gw: GatewayProcess, token = ADMIN_TOKEN): Promise<{ status: number, body: Record<string, any> }> {
  const res = await fetch(`${gw.url}/v1/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, body: await res.json() as Record<string, any> }
}

function auditEvents (gw: GatewayProcess): Array<Record<string, unknown>> {
  return readFileSync(join(gw.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('config reload', () => {
  it('SIGHUP rotates a caller\'s secret for new requests while a run already executing finishes under its own config', async () => {
    const gw = await startGatewayProcess(chaosConfig({ timeout: 60 }))
    const long = await postSigned(gw.url, body('ms=3000'), { async: true })
    expect(long.status).toBe(202)
    const id = String(long.body!.id)
    await waitFor(async () => (await getRun(gw.url, id)).run?.status === 'running' ? true : undefined, 10_000)

    // The new config: another secret, and an agent timeout the running run would not survive.
    rewrite(gw, (y) => y.replace(`secrets: ["${SECRET}"]`, `secrets: ["${ROTATED}"]`).replace('timeout: 60', 'timeout: 1'))
    process.kill(gw.pid, 'SIGHUP')
    await waitFor(async () => (await postSigned(gw.url, body('ms=10'), { async: true })).status === 401 ? true : undefined, 5000)

    expect((await postSigned(gw.url, body('ms=10'), { async: true, secret: ROTATED })).status).toBe(202)
    expect((await postSigned(gw.url, body('ms=10'), { async: true })).status).toBe(401)
    // Still alive (SIGHUP no longer stops it), and the running run keeps its 60 s timeout.
    await waitFor(async () => (await getRun(gw.url, id)).run?.status === 'succeeded' ? true : undefined, 10_000)
    expect(auditEvents(gw).filter((e) => e.event === 'config').map((e) => e.reason)).toEqual(['loaded', 'reloaded'])
  }, 40_000)

  it('refuses a config with problems, logs them, and keeps the running one', async () => {
    const gw = await startGatewayProcess(chaosConfig())
    rewrite(gw, (y) => y.replace('concurrency: 3', 'concurrency: many'))
    process.kill(gw.pid, 'SIGHUP')
    await waitFor(() => gw.output().includes('config reload refused') ? true : undefined, 5000)
    expect(gw.output()).toContain('/limits/concurrency')
    expect((await postSigned(gw.url, body('ms=10'), { async: true })).status).toBe(202)

    const answer = await reload(gw)
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ code: 'HOOKGATE_BAD_REQUEST' })
    expect(answer.body.message).toContain('/limits/concurrency')
    expect(auditEvents(gw).filter((e) => e.event === 'config').map((e) => e.reason)).toEqual(['loaded', 'reload refused', 'reload refused'])
  }, 30_000)

  it('POST /v1/admin/reload applies a valid config for the admin token only, and refuses restart-only changes naming them', async () => {
    const gw = await startGatewayProcess(chaosConfig())
    expect((await reload(gw, 'not-the-admin-token-0123456789')).status).toBe(401)

    rewrite(gw, (y) => y.replace(`secrets: ["${SECRET}"]`, `secrets: ["${ROTATED}"]`))
    const ok = await reload(gw)
    expect(ok).toEqual({ status: 200, body: { status: 'reloaded', source: gw.configPath, warnings: [] } })
    expect((await postSigned(gw.url, body('ms=10'), { async: true, secret: ROTATED })).status).toBe(202)

    // A restart-only key: refused whole, so the rotated secret (also in this file) is not applied either.
    rewrite(gw, (y) => y.replace(`secrets: ["${ROTATED}"]`, `secrets: ["${SECRET}"]`).replace('log: { level: warn }', 'log: { level: debug }'))
    const refused = await reload(gw)
    expect(refused.status).toBe(400)
    expect(refused.body.message).toContain('log: changed, which needs a restart')
    expect((await postSigned(gw.url, body('ms=10'), { async: true, secret: ROTATED })).status).toBe(202)
    expect((await postSigned(gw.url, body('ms=10'), { async: true })).status).toBe(401)
  }, 30_000)

  it('applies new limits to admission at once', async () => {
    const gw = await startGatewayProcess(chaosConfig({ concurrency: 1, queue: 1 }))
    const first = await postSigned(gw.url, body('ms=3000'), { async: true })
    const second = await postSigned(gw.url, body('ms=3000'), { async: true })
    expect([first.status, second.status]).toEqual([202, 202])
    expect((await postSigned(gw.url, body('ms=10'), { async: true })).status).toBe(503)
    rewrite(gw, (y) => y.replace('queue: 1', 'queue: 5'))
    expect((await reload(gw)).status).toBe(200)
    expect((await postSigned(gw.url, body('ms=10'), { async: true })).status).toBe(202)
  }, 30_000)
})
