import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import SwaggerParser from '@apidevtools/swagger-parser'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildTestGateway } from '../helpers/build-app.ts'

const COMMITTED = resolve(import.meta.dirname, '../../openapi/openapi.json')

async function document () {
  const gw = await buildTestGateway()
  onTestFinished(() => gw.close())
  return { gw, doc: gw.app.swagger() as Record<string, any> }
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const { doc } = await document()
    expect(doc.openapi).toBe('3.1.0')
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy()
  })

  it('matches the committed openapi/openapi.json (run `npm run openapi` after changing a route)', async () => {
    const { doc } = await document()
    expect(JSON.stringify(doc, null, 2) + '\n').toBe(readFileSync(COMMITTED, 'utf8'))
  })

  it('is served at /openapi.json', async () => {
    const { gw, doc } = await document()
    const res = await gw.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual(JSON.parse(JSON.stringify(doc)))
  })

  it('describes every route with every status it can send and a security scheme per signature scheme', async () => {
    const { doc } = await document()
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses).sort()
    expect(statuses('/v1/hooks/{caller}', 'post')).toEqual(['200', '202', '400', '401', '403', '404', '413', '429', '503'])
    expect(statuses('/v1/runs/{id}', 'get')).toEqual(['200', '401', '404', '503'])
    expect(statuses('/v1/runs/{id}/events', 'get')).toEqual(['200', '401', '404', '503'])
    expect(statuses('/v1/runs/{id}/cancel', 'post')).toEqual(['202', '401', '404', '409', '503'])
    expect(statuses('/v1/runs', 'get')).toEqual(['200', '400', '401', '503'])
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz']))
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['adminToken', 'discord', 'github', 'hmacSha256', 'line', 'runToken', 'slack', 'standardWebhooks', 'teams', 'telegram', 'twilio'])
  })

  it('has a description on every property of every schema', async () => {
    const { doc } = await document()
    const missing: string[] = []
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return
      const obj = node as Record<string, any>
      if (obj.properties !== undefined) {
        for (const [name, prop] of Object.entries<Record<string, any>>(obj.properties)) {
          if (prop.description === undefined) missing.push(`${path}/${name}`)
        }
      }
      for (const [key, value] of Object.entries(obj)) walk(value, `${path}/${key}`)
    }
    walk(doc.paths, '')
    expect(missing).toEqual([])
  })
})

describe('operations', () => {
  it('/healthz and /readyz answer, and /readyz turns 503 while draining', async () => {
    const gw = await buildTestGateway()
    onTestFinished(() => gw.close())
    expect((await gw.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' })
    expect((await gw.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
    await gw.app.gateway.registry.drain()
    const res = await gw.app.inject({ method: 'GET', url: '/readyz' })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBeDefined()
  })

  it('answers unknown routes with HOOKGATE_NOT_FOUND', async () => {
    const gw = await buildTestGateway()
    onTestFinished(() => gw.close())
    const res = await gw.app.inject({ method: 'GET', url: '/nope' })
    expect(res.statusCode).toBe(404)
    expect(res.json().code).toBe('HOOKGATE_NOT_FOUND')
  })
})
