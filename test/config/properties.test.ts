// Properties over arbitrary input: substitution changes only what it should, and loading never
// fails with anything but a ConfigError, whatever the file holds.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { ConfigError } from '../../src/errors.ts'
import { substituteEnv } from '../../src/config/env-subst.ts'
import { parseConfig } from '../../src/config/load.ts'
import { baseDoc } from './fixtures.ts'

const noDollar = fc.string().filter((s) => !s.includes('$'))
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/)
const jsonWithoutDollar = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('$'))

describe('substituteEnv', () => {
  it('leaves values without "$" exactly as they are', () => {
    fc.assert(fc.property(jsonWithoutDollar, (value) => {
      const out = substituteEnv(value, {})
      expect(out.problems).toEqual([])
      expect(out.value).toEqual(value)
    }))
  })

  it('replaces ${NAME} by its value, verbatim and once', () => {
    fc.assert(fc.property(noDollar, name, fc.string({ minLength: 1 }), noDollar, (before, key, value, after) => {
      const out = substituteEnv({ v: `${before}\${${key}}${after}` }, { [key]: value })
      expect(out.problems).toEqual([])
      expect(out.value).toEqual({ v: before + value + after })
    }))
  })

  it('turns $${ into a literal ${', () => {
    fc.assert(fc.property(noDollar, noDollar, (before, after) => {
      expect(substituteEnv([`${before}$\${${after}`], {}).value).toEqual([`${before}\${${after}`])
    }))
  })

  it('never throws on arbitrary strings and reports problems only where "${" appears', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const out = substituteEnv({ k: [text] }, {})
      if (!text.includes('${')) expect(out.problems).toEqual([])
      for (const p of out.problems) expect(p.path).toBe('/k/0')
    }))
  })
})

describe('parseConfig', () => {
  const expectLoadsOrConfigError = (text: string): void => {
    try {
      parseConfig(text, {}, { source: null, baseDir: '/srv' })
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).problems.length).toBeGreaterThan(0)
    }
  }

  it('throws only ConfigError for arbitrary text', () => {
    fc.assert(fc.property(fc.string(), expectLoadsOrConfigError))
  })

  it('throws only ConfigError for arbitrary values at any place of a valid document', () => {
    const sections = ['server', 'agent', 'limits', 'policy', 'commands', 'callers', 'audit', 'log', 'state_dir', 'admin_token']
    fc.assert(fc.property(fc.constantFrom(...sections), fc.jsonValue(), (key, value) => {
      expectLoadsOrConfigError(stringify({ ...baseDoc(), [key]: value }))
    }))
  })
})
