// One spawner per test file (each file runs in its own process): the launcher every in-process test
// starts its agents with, as the gateway does. It exits with the test process.
import { createSpawnerLauncher } from '../../src/runner/spawner/spawner-launcher.ts'

export const launcher = createSpawnerLauncher()
