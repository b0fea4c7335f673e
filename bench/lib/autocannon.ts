// Load with autocannon, used when wrk is not installed: in a child process (autocannon-child.ts)
// with the same pool, expectation and result shape as the wrk runner.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadResult, LoadSpec } from './load-spec.ts'
import type { ProcessSet } from './processes.ts'
import { runTool } from './run-tool.ts'

const CHILD = fileURLToPath(new URL('./autocannon-child.ts', import.meta.url))

export async function runAutocannon (spec: LoadSpec, procs: ProcessSet, scratchDir: string): Promise<LoadResult> {
  const file = join(scratchDir, `load-${process.hrtime.bigint()}.json`)
  writeFileSync(file, JSON.stringify(spec))
  const out = await runTool(procs, process.execPath, [CHILD, file], { cwd: scratchDir, timeoutS: spec.durationS + 30 })
  const line = out.trim().split('\n').filter((l) => l.startsWith('{')).at(-1)
  if (line === undefined) throw new Error(`cannot read autocannon's result:\n${out.slice(-2000)}`)
  return JSON.parse(line) as LoadResult
}
