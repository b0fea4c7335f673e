// A minimal valid configuration and helpers to load variations of it.
import { stringify } from 'yaml'
import { ConfigError } from '../../src/errors.ts'
import { parseConfig, type ConfigLoadResult } from '../../src/config/load.ts'

export const HMAC_SECRET = '0123456789abcdef0123456789abcdef'
export const OTHER_HMAC_SECRET = 'fedcba9876543210fedcba9876543210'
export const WHSEC = `whsec_${Buffer.alloc(24, 7).toString('base64')}`
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef'

export const BASE_DIR = '/etc/hookgate'
export const SOURCE = '/etc/hookgate/hookgate.yaml'

// Loose on purpose: tests write invalid shapes into it.
export type Doc = Record<string, any>

export function baseDoc (): Doc {
  return {
    commands: {
      run: { prompt: '{args}' },
      test: { prompt: 'Run the tests.' }
    },
    callers: {
      ci: { scheme: 'hmac-sha256', secrets: [HMAC_SECRET], commands: ['run', 'test'], default_command: 'run' },
      app: { scheme: 'standard-webhooks', secrets: [WHSEC], commands: ['run'], default_command: 'run' }
    }
  }
}

export function load (doc: Doc | string, env: NodeJS.ProcessEnv = {}): ConfigLoadResult {
  const text = typeof doc === 'string' ? doc : stringify(doc)
  return parseConfig(text, env, { source: SOURCE, baseDir: BASE_DIR })
}

/** The problems of a load that must fail; fails the test if it loads. */
export function problemsOf (doc: Doc | string, env: NodeJS.ProcessEnv = {}): ReadonlyArray<{ path: string, message: string }> {
  try {
    load(doc, env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  throw new Error('expected a ConfigError, but the configuration loaded')
}

export function withDoc (mutate: (doc: Doc) => void): Doc {
  const doc = baseDoc()
  mutate(doc)
  return doc
}
