// `--profile`: hookgate under `node --cpu-prof`, loaded like the run (or reject) section, stopped
// with SIGTERM so V8 writes the profile, then the functions with the most self time: the gateway's,
// and its spawner's when it started one (a gateway under --cpu-prof profiles its spawner too). The
// profile files are kept beside the results for Chrome DevTools (Performance → Load profile) or
// speedscope.
import { copyFileSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { monotonicUs, summariseProfile, type CpuProfile, type Window } from '../lib/cpuprofile.ts'
import { CALLER, secretOf } from '../lib/hookgate-config.ts'
import { runLoad } from '../lib/load.ts'
import { badSignaturePool, runPoolSize, signedRunPool } from '../lib/request-pool.ts'
import { serverOptions, type BenchContext, type SectionResult } from '../lib/section.ts'
import { startServer } from '../lib/servers.ts'
import { num } from '../lib/table.ts'
import { REJECT_TARGETS, RUN_TARGETS } from '../lib/targets.ts'

const TOP = 20

export async function profileSection (ctx: BenchContext, load: 'run' | 'reject'): Promise<SectionResult[]> {
  const { durationS, connections } = ctx.settings
  const dir = ctx.procs.tempDir('cpu-prof')
  const server = await startServer('hookgate', ctx.procs, serverOptions(ctx, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] }))
  const target = (load === 'run' ? RUN_TARGETS : REJECT_TARGETS).hookgate!
  const pool = load === 'run'
    ? signedRunPool(target.path, secretOf(CALLER.printf), runPoolSize(durationS))
    : badSignaturePool(target.path)
  let result
  let window: Window
  try {
    ctx.log(`profile: ${load} load for ${durationS} s under --cpu-prof`)
    const fromUs = monotonicUs()
    result = await runLoad(ctx, { origin: server.url, pool, connections, durationS, expect: target.expect })
    window = { fromUs, toUs: monotonicUs() }
    ctx.log('profile: stopping hookgate (SIGTERM) so the profile is written')
  } finally {
    // SIGTERM lets hookgate shut down cleanly, which is when V8 writes the profiles.
    const exit = await server.process.stop({ signal: 'SIGTERM', graceMs: 30_000 })
    ctx.log(`profile: hookgate exited (${exit.signal ?? `code ${exit.code}`})`)
  }
  // V8 names a profile CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile.
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
  const pidOf = (file: string): number => Number(file.split('.')[3])
  const gateway = files.find((f) => pidOf(f) === server.pid)
  if (gateway === undefined) throw new Error(`no .cpuprofile of hookgate written in ${dir} (did it exit cleanly on SIGTERM?)\n${server.process.log().slice(-2000)}`)
  const rate = `${num(result.rps)} ${load === 'run' ? 'runs' : 'req'}/s, p99 ${num(result.p99Ms, 2)} ms`
  const sections = [summarise(join(dir, gateway), `hookgate-${load}.cpuprofile`, {
    title: `7. Profile: hookgate under the ${load} load, top ${TOP} functions by self time`,
    measuredBy: `node --cpu-prof (the gateway's main thread); load by ${result.tool}: ${rate}`
  }, window, { load, result })]
  const spawner = files.find((f) => f !== gateway)
  if (spawner !== undefined) {
    sections.push(summarise(join(dir, spawner), `hookgate-${load}-spawner.cpuprofile`, {
      title: `7b. Profile: hookgate's spawner under the same load, top ${TOP} functions by self time`,
      measuredBy: 'node --cpu-prof (the spawner process, which starts every agent; a blocking spawn() counts as busy)'
    }, window, { load }))
  }
  return sections
}

function summarise (file: string, keptName: string, text: { title: string, measuredBy: string }, window: Window, data: object): SectionResult {
  const kept = fileURLToPath(new URL(`../${keptName}`, import.meta.url))
  copyFileSync(file, kept)
  const summary = summariseProfile(JSON.parse(readFileSync(kept, 'utf8')) as CpuProfile, TOP, window)
  return {
    id: 'profile',
    ...text,
    table: {
      columns: ['#', 'self ms', '% of busy', 'function', 'location'],
      rows: summary.top.map((f, i) => [String(i + 1), num(f.selfMs, 1), num(f.percent, 1), f.name, f.location])
    },
    goals: [],
    notes: [
      `${summary.windowed ? 'Samples taken during the load' : 'The whole profile, start-up included (no sample fell inside the load window)'}: ${num(summary.totalMs)} ms, ${num(summary.idleMs)} ms of it idle; percentages are of the busy time. Full profile: ${kept}`
    ],
    data: { ...data, summary, file: kept }
  }
}
