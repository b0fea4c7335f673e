// Which values count as secret, from a config loaded the way `serve` loads it.
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config/load.ts'
import { configuredSecrets } from '../../src/secrets/configured-secrets.ts'

const ENV = {
  CI_SECRET: 'ci-secret-from-env-0123456789abcdef',
  BOT_TOKEN: '7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
  ADMIN: 'admin-token-from-env-0123456789',
  REDIS_PASSWORD: 'redis-password-0123456789',
  API_BASE: 'http://127.0.0.1:9999',
  ANTHROPIC_API_KEY: 'sk-ant-api03-agent-key-0123456789',
  CALLER_ONLY: 'caller-agent-variable-0123456789',
  NOT_PASSED: 'never-given-to-the-agent-0123456789',
  SHORT: 'abc'
}

const YAML = `
admin_token: \${ADMIN}
metrics: { token: metrics-token-0123456789abcdef }
store: "redis://:url-password-0123456789@127.0.0.1:6379"
redis: { password: "\${REDIS_PASSWORD}" }
agent: { profile: command, argv: [/bin/true], env: [ANTHROPIC_API_KEY, SHORT, UNSET_NAME] }
commands: { run: { prompt: "{args}" } }
callers:
  ci:
    scheme: hmac-sha256
    secrets: ["\${CI_SECRET}", "inline-second-secret-0123456789"]
    commands: [run]
    callback: { url: "https://example.com/cb", secret: "whsec_Y2FsbGJhY2stc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY=" }
    agent: { env: [CALLER_ONLY] }
  tg:
    scheme: telegram
    secrets: ["telegram-secret-token_0123456789"]
    users: ["42"]
    commands: [run]
    reply: { token: "\${BOT_TOKEN}", api_base: "\${API_BASE}" }
`

describe('configuredSecrets', () => {
  const { config } = parseConfig(YAML, ENV, { source: null, baseDir: '/srv' })
  const secrets = configuredSecrets(config, ENV)

  it('records every value ${NAME} substitution put into the config, and keeps the config frozen', () => {
    expect(config.secret_values).toEqual([ENV.ADMIN, ENV.REDIS_PASSWORD, ENV.CI_SECRET, ENV.BOT_TOKEN, ENV.API_BASE])
    expect(Object.isFrozen(config.secret_values)).toBe(true)
  })

  it('holds caller secrets, reply tokens, callback secrets, the admin and metrics tokens and the Redis passwords', () => {
    for (const value of ['metrics-token-0123456789abcdef', ENV.CI_SECRET, 'inline-second-secret-0123456789', 'telegram-secret-token_0123456789', ENV.BOT_TOKEN,
      'whsec_Y2FsbGJhY2stc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY=', ENV.ADMIN, ENV.REDIS_PASSWORD, 'url-password-0123456789']) {
      expect(secrets).toContain(value)
    }
  })

  it('holds the values of the variables the agent may see, its own and its callers\'', () => {
    expect(secrets).toContain(ENV.ANTHROPIC_API_KEY)
    expect(secrets).toContain(ENV.CALLER_ONLY)
    expect(secrets).toContain(ENV.SHORT) // listed, though too short for the scrubber to use
    expect(secrets).not.toContain(ENV.NOT_PASSED)
  })

  it('a built-in config without substitution has none', () => {
    const { config: plain } = parseConfig('callers: { ci: { scheme: hmac-sha256, secrets: [plain-secret-0123456789abcdef] } }', {}, { source: null, baseDir: '/srv' })
    expect(plain.secret_values).toEqual([])
    expect(configuredSecrets(plain, {})).toEqual(['plain-secret-0123456789abcdef'])
  })
})
