import { defineConfig } from 'vitest/config'

// `npm test`: everything but the reliability suite, which has its own command and configuration
// (vitest.reliability.config.ts) because it measures figures and must not share the cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/reliability/**', '**/node_modules/**'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000
  }
})
