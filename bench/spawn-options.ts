// How to start agent processes without stalling the gateway: a bench of the three designs (it prints
// numbers, it asserts nothing). Run:
//   node bench/spawn-options.ts [SPAWNS] [BALLAST_MB]
// Each design starts SPAWNS short processes (`printf ok`), 16 at a time, from a process holding
// BALLAST_MB of touched memory (a gateway's heap, default 120), and meanwhile a 1 ms timer on the
// main thread records how late it fires: the stall every other request and stream would see.
//   main thread  child_process.spawn on the event-loop thread (what a plain Node server does)
//   worker       child_process.spawn inside a worker thread of the same process
//   spawner      the gateway's spawner process (src/runner/spawner), relaying output over IPC
import { spawn } from 'node:child_process'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { tmpdir } from 'node:os'
import { createSpawnerLauncher } from '../src/runner/spawner/spawner-launcher.ts'

const SPAWNS = Number(process.argv[2] ?? 1000)
const BALLAST_MB = Number(process.argv[3] ?? 120)
const CONCURRENCY = 16

/** Runs `one` SPAWNS times, CONCURRENCY at a time; spawns/s and the main thread's worst timer delay. */
async function measure (one: () => Promise<void>): Promise<{ perSecond: number, maxDelayMs: number, p99DelayMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  let started = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (started++ < SPAWNS) await one()
  }))
  const seconds = (performance.now() - t0) / 1000
  delay.disable()
  return { perSecond: SPAWNS / seconds, maxDelayMs: delay.max / 1e6, p99DelayMs: delay.percentile(99) / 1e6 }
}

function mainThreadSpawn (): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('printf', ['ok'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    child.stdout.resume()
    child.stderr.resume()
    child.on('close', () => resolve())
  })
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { spawn } = require('node:child_process')
parentPort.on('message', (id) => {
  const child = spawn('printf', ['ok'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  child.stdout.resume(); child.stderr.resume()
  child.on('close', () => parentPort.postMessage(id))
})`

async function main (): Promise<void> {
  // Touched memory, like a gateway's heap: fork() copies the page tables of all of it.
  const ballast = Array.from({ length: BALLAST_MB }, () => Buffer.alloc(1024 * 1024, 1))
  const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20)
  console.log(`${SPAWNS} spawns of \`printf ok\`, ${CONCURRENCY} at a time, from a process of ${rssMb} MB RSS (ballast ${ballast.length} MB)\n`)
  console.log('| design | spawns/s | main thread p99 delay | main thread max delay |')
  console.log('|---|---:|---:|---:|')
  const row = (name: string, r: Awaited<ReturnType<typeof measure>>): void =>
    console.log(`| ${name} | ${Math.round(r.perSecond)} | ${r.p99DelayMs.toFixed(1)} ms | ${r.maxDelayMs.toFixed(1)} ms |`)

  row('main thread', await measure(mainThreadSpawn))

  const workers = Array.from({ length: 2 }, () => new Worker(WORKER_SOURCE, { eval: true }))
  const waiting = new Map<number, () => void>()
  for (const w of workers) w.on('message', (id: number) => { waiting.get(id)?.(); waiting.delete(id) })
  let nextId = 0
  row('worker threads (2)', await measure(() => new Promise((resolve) => {
    const id = nextId++
    waiting.set(id, resolve)
    workers[id % workers.length]!.postMessage(id)
  })))
  await Promise.all(workers.map((w) => w.terminate()))

  const launcher = createSpawnerLauncher()
  row('spawner process', await measure(async () => {
    const child = await launcher.launch({ argv: ['printf', 'ok'], cwd: tmpdir(), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } })
    for await (const _ of child.output) { /* read it all, as the runner does */ }
    await child.exited
  }))
  await launcher.close()
  ballast.length = 0
}

await main()
