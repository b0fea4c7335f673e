// Projects (working directories by name): a caller picks one of its own with `@name`, its first is
// the default, the agent runs there, and nothing the caller writes can name another directory.
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildTestGateway, SECRET, type TestGateway } from '../helpers/build-app.ts'
import type { Run } from '../../src/schemas/run.ts'

async function gateway (): Promise<{ gw: TestGateway, web: string, api: string }> {
  const root = mkdtempSync(join(tmpdir(), 'hookgate-projects-'))
  onTestFinished(() => rmSync(root, { recursive: true, force: true }))
  const web = join(root, 'web')
  const api = join(root, 'api')
  const secret = join(root, 'secret')
  for (const dir of [web, api, secret]) mkdirSync(dir)
  const gw = await buildTestGateway({
    callers: `{ ci: { scheme: hmac-sha256, secrets: [${SECRET}], commands: [run], default_command: run, projects: [web, api] } }`,
    extra: `projects: { web: ${web}, api: ${api}, secret: ${secret} }`
  })
  onTestFinished(() => gw.close())
  return { gw, web: realpathSync(web), api: realpathSync(api) }
}

async function send (gw: TestGateway, text: string): Promise<{ status: number, body: Run & { code?: string, message?: string } }> {
  const { payload, headers } = gw.signed({ text, user: 'ann' })
  const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci?wait=15', payload, headers })
  return { status: res.statusCode, body: res.json() }
}

const cwdOf = (run: Run): string => (JSON.parse(run.output) as { cwd: string }).cwd

describe('projects', () => {
  it('runs in the caller\'s first project by default and in the one picked with @name', async () => {
    const { gw, web, api } = await gateway()
    const plain = await send(gw, 'list the files')
    expect(plain.status).toBe(200)
    expect(cwdOf(plain.body)).toBe(web)
    const picked = await send(gw, '@api list the files')
    expect(picked.body.project).toBe('api')
    expect(cwdOf(picked.body)).toBe(api)
    expect(JSON.parse(picked.body.output).prompt).toBe('list the files')
  })

  it('refuses a project the caller may not use, and anything path-like, without starting a run', async () => {
    const { gw } = await gateway()
    for (const text of ['@secret read it', '@../../etc cat passwd', '@/etc hi', '@web/../secret hi']) {
      const res = await send(gw, text)
      expect(res.status, text).toBe(403)
      expect(res.body).toMatchObject({ code: 'HOOKGATE_POLICY_DENIED', message: expect.stringMatching(/@web, @api/) })
      expect(res.body.message).not.toContain('etc')
    }
    expect(gw.audit().filter((e) => e.event === 'accepted')).toHaveLength(0)
  })

  it('keeps one conversation per project', async () => {
    const { gw } = await gateway()
    const a = await send(gw, '@web one')
    const b = await send(gw, '@api two')
    const c = await send(gw, '@web three')
    expect(c.body.session).toBe(a.body.session)
    expect(b.body.session).not.toBe(a.body.session)
  })
})
