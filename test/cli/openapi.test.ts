import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import SwaggerParser from '@apidevtools/swagger-parser'
import { describe, expect, it } from 'vitest'
import { runCli, tempDir } from './helpers.ts'

const COMMITTED = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url))

describe('hookgate openapi', () => {
  it('prints a valid OpenAPI 3.1 document with the webhook path, touching no state directory', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const r = await runCli(['openapi'], { cwd: dir })
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
      expect(r.stdout.endsWith('}\n')).toBe(true)
      const doc = JSON.parse(r.stdout) as { openapi: string, paths: Record<string, unknown> }
      expect(doc.openapi).toBe('3.1.0')
      expect(Object.keys(doc.paths)).toContain('/v1/hooks/{caller}')
      await SwaggerParser.validate(structuredClone(doc) as never)
      expect(existsSync(`${dir}/.hookgate`)).toBe(false)
    } finally {
      cleanup()
    }
  })

  it('equals openapi/openapi.json byte for byte', async () => {
    const r = await runCli(['openapi'])
    expect(r.stdout).toBe(readFileSync(COMMITTED, 'utf8'))
  })
})
