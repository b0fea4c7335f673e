// docs/api.md must name every route of the OpenAPI document and every error code, and its examples
// must work against a real gateway, so a new route, a new code or a changed answer cannot go
// undocumented.
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/errors.ts'
import { signRequest } from '../../src/verify/sign.ts'
import { BIN, startGateway, type Gateway } from '../cli/helpers.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const API = readFileSync(resolve(ROOT, 'docs/api.md'), 'utf8')
const README = readFileSync(resolve(ROOT, 'README.md'), 'utf8')
const OPENAPI = JSON.parse(readFileSync(resolve(ROOT, 'openapi/openapi.json'), 'utf8')) as { paths: Record<string, Record<string, unknown>> }
const run = promisify(execFile)

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'])

function routesOf (document: typeof OPENAPI): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).filter((m) => HTTP_METHODS.has(m)).map((m) => `${m.toUpperCase()} ${path}`))
}

/** `GET /v1/runs` must not count as mentioned just because `GET /v1/runs/{id}` is. */
function mentions (doc: string, route: string): boolean {
  const escaped = route.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`${escaped}(?![\\w/{}])`).test(doc)
}

function section (doc: string, heading: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`)
  if (start === -1) throw new Error(`docs/api.md has no "## ${heading}" section`)
  const end = doc.indexOf('\n## ', start + 1)
  return doc.slice(start, end === -1 ? undefined : end)
}

function codeBlock (doc: string, lang: string, needle: string): string {
  const block = [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!).find((b) => b.includes(needle))
  if (block === undefined) throw new Error(`no ${lang} block containing ${needle}`)
  return block
}

describe('docs/api.md covers the API', () => {
  it('mentions every route of openapi/openapi.json', () => {
    const routes = routesOf(OPENAPI)
    expect(routes).toContain('POST /v1/hooks/{caller}')
    expect(routes.filter((route) => !mentions(API, route))).toEqual([])
  })

  it('would notice a new route', () => {
    const extended = { paths: { ...OPENAPI.paths, '/v1/runs/{id}/retry': { post: {} } } }
    expect(routesOf(extended)).toContain('POST /v1/runs/{id}/retry')
    expect(mentions(API, 'POST /v1/runs/{id}/retry')).toBe(false)
    expect(mentions('see `GET /v1/runs/{id}`', 'GET /v1/runs')).toBe(false)
  })

  it('lists every error code in the codes table', () => {
    const rows = section(API, 'Errors').split('\n').filter((line) => line.startsWith('| `HOOKGATE_'))
    const documented = rows.map((line) => /^\| `(HOOKGATE_[A-Z_]+)` \| (\d{3}) \|/.exec(line)?.[1])
    expect(ERROR_CODES.filter((code) => !documented.includes(code))).toEqual([])
  })

  it('signs with openssl exactly as the README does', () => {
    expect(codeBlock(API, 'sh', 'openssl dgst')).toBe(codeBlock(README, 'sh', 'openssl dgst'))
  })
})

describe('docs/api.md examples, against the quick-start gateway', () => {
  let gw: Gateway
  let secret: string

  beforeAll(async () => {
    gw = await startGateway(null)
    secret = readFileSync(join(gw.dir, '.hookgate/local.secret'), 'utf8').trim()
  })
  afterAll(async () => { await gw?.stop() })

  it('the hookgate sign + curl example gets the finished run', async () => {
    const script = codeBlock(API, 'sh', 'hookgate sign').replaceAll('npx hookgate', `node ${BIN}`).replaceAll('http://127.0.0.1:8787', gw.url)
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: gw.dir, timeout: 30_000 })
    expect(JSON.parse(stdout)).toMatchObject({ caller: 'local', status: 'succeeded' })
  })

  it('the Node EventSource example follows a run to its result', async () => {
    const body = Buffer.from(JSON.stringify({ text: 'list the files' }))
    const created = await fetch(`${gw.url}/v1/hooks/local`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async', ...signRequest('hmac-sha256', secret, body) },
      body
    })
    expect(created.status).toBe(202)
    const { id, token } = await created.json() as { id: string, token: string }

    // The example imports the package by name; resolve it from this repository, since the script
    // runs from a temporary directory.
    const pkg = pathToFileURL(createRequire(import.meta.url).resolve('eventsource')).href
    const file = join(gw.dir, 'follow.mjs')
    writeFileSync(file, codeBlock(API, 'js', "from 'eventsource'").replace("'eventsource'", JSON.stringify(pkg)))
    const env = { PATH: process.env.PATH ?? '', HOOKGATE_URL: gw.url, RUN: id }

    const followed = await run(process.execPath, [file], { env: { ...env, TOKEN: token }, timeout: 30_000 })
    expect(followed.stdout).toContain('> Bash ls')
    expect(followed.stdout.trimEnd().split('\n').at(-1)).toBe('succeeded')

    const refused = await run(process.execPath, [file], { env: { ...env, TOKEN: 'hgr_wrong' }, timeout: 30_000 }).then(() => null, (error: { code: number, stderr: string }) => error)
    expect(refused?.code).toBe(2)
    expect(refused?.stderr).toContain('401')
  })
})
