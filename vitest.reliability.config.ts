import { defineConfig } from 'vitest/config'

// `npm run test:reliability`: the goal figures. One file at a time, so a flood or a soak measures the
// gateway and not the test next to it; each test prints its figures and fails when one misses its goal.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    // Goals the gateway does not meet yet: they run with `npm run test:reliability:open` and fail
    // with their figures until it does (docs/reliability.md lists them); CI runs the rest.
    exclude: process.env.HOOKGATE_OPEN_GOALS === '1' ? ['**/node_modules/**'] : ['test/reliability/open/**', '**/node_modules/**'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000
  }
})
