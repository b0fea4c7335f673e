import { defineConfig } from 'vitest/config'

// `npm run test:reliability`: the goal figures. One file at a time, so a flood or a soak measures the
// gateway and not the test next to it; each test prints its figures and fails when one misses its goal.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000
  }
})
