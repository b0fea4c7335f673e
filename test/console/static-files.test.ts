// GET /console and its files: served from a fixed list read at start-up, each with the console's
// security headers and its own content type; nothing else under /console answers, whatever the path.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testGateway } from '../helpers/build-app.ts'
import { CONSOLE_FILES } from '../../src/routes/console.ts'

const STATIC = resolve(import.meta.dirname, '../../src/console/static')
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const urlOf = (name: string): string => name === 'index.html' ? '/console' : `/console/${name}`

describe('GET /console', () => {
  it('serves the page with a strict Content-Security-Policy and the other security headers', async () => {
    const gw = await testGateway()
    const res = await gw.app.inject({ method: 'GET', url: '/console' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    // The required policy, word for word, possibly followed by stricter directives.
    expect(String(res.headers['content-security-policy'])).toMatch(new RegExp(`^${CSP.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(; |$)`))
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['referrer-policy']).toBe('no-referrer')
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.headers['cache-control']).toBe('no-cache')
    expect(res.body).toContain('<script type="module" src="console/app.js"></script>')
    expect(res.body).toContain('<link rel="stylesheet" href="console/console.css">')
  })

  it('serves every file of src/console/static with its content type, and only those', async () => {
    expect(readdirSync(STATIC).sort()).toEqual(Object.keys(CONSOLE_FILES).sort())
    const gw = await testGateway()
    for (const [name, type] of Object.entries(CONSOLE_FILES)) {
      const res = await gw.app.inject({ method: 'GET', url: urlOf(name) })
      expect(res.statusCode, name).toBe(200)
      expect(res.headers['content-type'], name).toBe(type)
      expect(res.headers['content-security-policy'], name).toContain("script-src 'self'")
      expect(res.headers['x-content-type-options'], name).toBe('nosniff')
      expect(res.rawPayload.equals(readFileSync(join(STATIC, name))), name).toBe(true)
    }
    const types = new Set(Object.values(CONSOLE_FILES))
    expect(types).toEqual(new Set(['text/html; charset=utf-8', 'text/css; charset=utf-8', 'text/javascript; charset=utf-8']))
  })

  it('answers a repeated request with 304 when the ETag matches', async () => {
    const gw = await testGateway()
    const first = await gw.app.inject({ method: 'GET', url: '/console/app.js' })
    const etag = String(first.headers.etag)
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
    const again = await gw.app.inject({ method: 'GET', url: '/console/app.js', headers: { 'if-none-match': etag } })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
    expect(again.headers['content-security-policy']).toBeDefined()
    const other = await gw.app.inject({ method: 'GET', url: '/console/app.js', headers: { 'if-none-match': '"stale"' } })
    expect(other.statusCode).toBe(200)
  })

  it.each([
    '/console/nope.js',
    '/console/index.html',
    '/console/../package.json',
    '/console/..%2f..%2fpackage.json',
    '/console/%2e%2e/%2e%2e/package.json',
    '/console/app.js/../../src/app.ts',
    '/console/static/app.js',
    '/console/APP.JS',
    '/console/app.js%00.html',
    '/consolex'
  ])('answers %s with 404, never with a file', async (url) => {
    const gw = await testGateway()
    const res = await gw.app.inject({ method: 'GET', url })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toMatchObject({ code: 'HOOKGATE_NOT_FOUND' })
    expect(res.body).not.toContain('"name"')
  })

  it('redirects /console/ to the page, relative so a path prefix in front of the gateway still works', async () => {
    const gw = await testGateway()
    const res = await gw.app.inject({ method: 'GET', url: '/console/' })
    expect(res.statusCode).toBe(308)
    expect(res.headers.location).toBe('../console')
  })

  it('keeps the console routes out of the OpenAPI document', async () => {
    const gw = await testGateway()
    const paths = Object.keys((gw.app.swagger() as { paths: Record<string, unknown> }).paths)
    expect(paths.filter((p) => p.startsWith('/console'))).toEqual([])
    expect(paths).toEqual(expect.arrayContaining(['/v1/runs/live', '/v1/admin/runs']))
  })
})

describe('the console\'s files', () => {
  const read = (name: string): string => readFileSync(join(STATIC, name), 'utf8')
  /** The code without its comments, which may name what the code must not use. */
  const code = (name: string): string => read(name).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const scripts = Object.keys(CONSOLE_FILES).filter((n) => n.endsWith('.js'))

  it('have no inline script, no inline style and no inline event handler', () => {
    const html = read('index.html')
    expect([...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual(['<script type="module" src="console/app.js">'])
    expect(html).not.toMatch(/<style\b/i)
    expect(html).not.toMatch(/\sstyle\s*=/i)
    expect(html).not.toMatch(/\son[a-z]+\s*=/i)
    expect(html).not.toMatch(/https?:\/\//)
  })

  it('never turn text into HTML or code, and load nothing from another origin', () => {
    for (const name of scripts) {
      const js = code(name)
      expect(js, name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment|\beval\(|new Function|setAttribute\(\s*['"]style|\.style\./)
      expect(js, name).not.toMatch(/https?:\/\//)
      // Imports are relative to the console's own files.
      for (const [, spec] of js.matchAll(/from '([^']+)'/g)) expect(spec, name).toMatch(/^\.\/[a-z-]+\.js$/)
    }
    expect(read('console.css')).not.toMatch(/@import|url\(\s*['"]?https?:/)
  })

  it('keep tokens in sessionStorage only: localStorage holds the theme and nothing else', () => {
    const users = scripts.filter((n) => code(n).includes('localStorage'))
    expect(users).toEqual(['theme.js'])
    expect(read('auth.js')).toContain('sessionStorage')
  })

  it('stay small', () => {
    const total = Object.keys(CONSOLE_FILES).reduce((sum, name) => sum + statSync(join(STATIC, name)).size, 0)
    expect(total).toBeLessThan(50 * 1024)
  })
})
