import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { LaunchSpec, OutputChunk } from '../../../src/runner/launcher.ts'
import { OUTPUT_WINDOW_BYTES } from '../../../src/runner/spawner/protocol.ts'
import { createSpawnerLauncher, spawnerProfilerFlags } from '../../../src/runner/spawner/spawner-launcher.ts'

const launcher = createSpawnerLauncher()
afterAll(() => launcher.close())

const node = (code: string, extra: Partial<LaunchSpec> = {}): LaunchSpec => ({ argv: [process.execPath, '-e', code], cwd: tmpdir(), env: {}, ...extra })
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function collect (spec: LaunchSpec) {
  const child = await launcher.launch(spec)
  const chunks: OutputChunk[] = []
  for await (const c of child.output) chunks.push(c)
  const exit = await child.exited
  const text = (stream: string) => Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => c.chunk)).toString()
  return { child, chunks, exit, stdout: text('stdout'), stderr: text('stderr') }
}

function statOf (pid: number): { ppid: number, pgrp: number, state: string } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]) }
}

function alive (pid: number): boolean {
  try {
    return statOf(pid).state !== 'Z'
  } catch {
    return false
  }
}

describe('spawner launcher', () => {
  it('starts the child from the spawner process, not the gateway, as the leader of its own process group', async () => {
    const child = await launcher.launch(node('setTimeout(() => {}, 300)'))
    const stat = statOf(child.pid!)
    expect(stat.pgrp).toBe(child.pid)
    expect(launcher.spawnerPid).toBeGreaterThan(0)
    expect(stat.ppid).toBe(launcher.spawnerPid)
    expect(stat.ppid).not.toBe(process.pid)
    for await (const _ of child.output) { /* drain */ }
    expect(await child.exited).toEqual({ code: 0, signal: null, spawnError: null })
    expect(() => child.killGroup('SIGKILL')).not.toThrow() // ESRCH is swallowed
  })

  it('gives the child /dev/null as stdin when there is no input', async () => {
    const { stdout } = await collect(node('process.stdin.on("data", (d) => process.stdout.write("data")).on("end", () => process.stdout.write("eof"))'))
    expect(stdout).toBe('eof')
  })

  it('writes the input and closes stdin', async () => {
    const { stdout } = await collect(node('process.stdin.pipe(process.stdout)', { input: 'line one\nline two' }))
    expect(stdout).toBe('line one\nline two')
  })

  it('keeps an interactive stdin open for writes until it is ended', async () => {
    const child = await launcher.launch(node('process.stdin.on("data", (d) => process.stdout.write("<" + d + ">")).on("end", () => process.stdout.write("eof"))', { interactive: true }))
    const seen: string[] = []
    const reading = (async () => { for await (const c of child.output) seen.push(Buffer.from(c.chunk).toString()) })()
    expect(child.stdin?.write('one')).toBe(true)
    await expect.poll(() => seen.join('')).toBe('<one>')
    expect(child.stdin?.write('two')).toBe(true)
    await expect.poll(() => seen.join('')).toBe('<one><two>')
    child.stdin?.end()
    expect(child.stdin?.ended).toBe(true)
    expect(child.stdin?.write('late')).toBe(false)
    await reading
    expect(seen.join('')).toBe('<one><two>eof')
    expect((await child.exited).code).toBe(0)
  })

  it('reports an interactive stdin the agent closed as ended once a write found it closed', async () => {
    const child = await launcher.launch(node('require("fs").closeSync(0); setTimeout(() => {}, 600)', { interactive: true }))
    await sleep(200)
    // Nobody knows the reader is gone until a write breaks on it (EPIPE); that write is lost.
    child.stdin?.write('x')
    await expect.poll(() => child.stdin?.ended).toBe(true)
    expect(child.stdin?.write('y')).toBe(false)
    for await (const _ of child.output) { /* drain */ }
  })

  it('passes exactly the given environment', async () => {
    const { stdout } = await collect(node('process.stdout.write(JSON.stringify(process.env))', { env: { ONLY: 'this' } }))
    expect(JSON.parse(stdout)).toEqual({ ONLY: 'this' })
  })

  it('keeps stdout and stderr apart and reports the exit', async () => {
    const { exit, stdout, stderr } = await collect(node('process.stdout.write("out"); process.stderr.write("err"); process.exitCode = 4'))
    expect({ exit, stdout, stderr }).toEqual({ exit: { code: 4, signal: null, spawnError: null }, stdout: 'out', stderr: 'err' })
  })

  it('reports death by a signal', async () => {
    const child = await launcher.launch(node('setInterval(() => {}, 1000)'))
    child.killGroup('SIGTERM')
    for await (const _ of child.output) { /* drain */ }
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM', spawnError: null })
  })

  it('hands over bounded chunks of an endless line, every byte in order', async () => {
    const { chunks, stdout } = await collect(node('process.stdout.write(Buffer.alloc(4 * 1024 * 1024, 120))'))
    expect(stdout.length).toBe(4 * 1024 * 1024)
    expect(Math.max(...chunks.map((c) => c.chunk.length))).toBeLessThanOrEqual(64 * 1024)
  })

  it('reads at most a window ahead of a consumer that stops: the agent then blocks on its full pipe', async () => {
    // The agent records how far it got each time its pipe is full.
    const mark = join(mkdtempSync(join(tmpdir(), 'hookgate-window-')), 'written')
    const child = await launcher.launch(node(`
      const fs = require('fs'); let written = 0
      const block = Buffer.alloc(16 * 1024, 97)
      const write = () => { while (written < 64 * 1024 * 1024) { written += block.length; if (!process.stdout.write(block)) { fs.writeFileSync(process.env.MARK, String(written)); process.stdout.once('drain', write); return } } }
      write()`, { env: { MARK: mark } }))
    const iterator = child.output[Symbol.asyncIterator]()
    expect((await iterator.next()).done).toBe(false)
    await sleep(500)
    const written = Number(readFileSync(mark, 'utf8'))
    // Blocked well short of its 64 MiB: the window, the spawner's read buffer, the IPC socket and the
    // pipe together hold a few MiB at most.
    expect(written).toBeGreaterThan(0)
    expect(written).toBeLessThan(OUTPUT_WINDOW_BYTES + 16 * 1024 * 1024)
    child.killGroup('SIGKILL')
    while ((await iterator.next()).done !== true) { /* drain */ }
    expect((await child.exited).signal).toBe('SIGKILL')
    rmSync(dirname(mark), { recursive: true, force: true })
  })

  it('release() ends the output even while an escaped grandchild holds the pipes open', async () => {
    const child = await launcher.launch(node(`
      const { spawn } = require('child_process')
      spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)'], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] }).unref()
      process.stdout.write('leader done')`))
    const seen: string[] = []
    const reading = (async () => { for await (const c of child.output) seen.push(Buffer.from(c.chunk).toString()) })()
    await child.exited
    await sleep(200)
    const started = performance.now()
    child.release()
    await reading
    expect(performance.now() - started).toBeLessThan(500)
    expect(seen.join('')).toBe('leader done')
  })

  it('sweeps a run before starting that run\'s next process, so a retry is not killed by the previous attempt\'s sweep', async () => {
    const runId = `run_sweep_${process.pid}_${Date.now()}`
    const marked = (code: string): LaunchSpec => node(code, { env: { HOOKGATE_RUN_ID: runId } })
    const first = await collect(marked(''))
    expect(first.exit.code).toBe(0)
    // A scan just now, so the next sweep is held for the interval between scans.
    launcher.sweepRun!({ runId: `${runId}_other` }, 'SIGKILL', {})
    await sleep(5)
    // What the runner does when an attempt ends: its group and then its marked escapees get SIGKILL;
    // then the retry starts with the same marker.
    launcher.sweepRun!({ runId }, 'SIGKILL', {})
    const retry = await launcher.launch(marked('setTimeout(() => process.stdout.write("survived"), 300)'))
    let text = ''
    for await (const c of retry.output) text += Buffer.from(c.chunk).toString()
    expect(await retry.exited).toEqual({ code: 0, signal: null, spawnError: null })
    expect(text).toBe('survived')
  })

  it('reports a spawn failure without throwing and without quoting the arguments', async () => {
    const missing = await collect({ argv: ['hookgate-missing-binary', 'secret prompt'], cwd: tmpdir(), env: { PATH: '/usr/bin:/bin' } })
    expect(missing.child.pid).toBeUndefined()
    expect(missing.exit.spawnError?.code).toBe('ENOENT')
    expect(missing.exit.spawnError?.message).not.toContain('secret prompt')
    const invalid = await collect({ argv: [process.execPath, 'secret\0prompt'], cwd: tmpdir(), env: {} })
    expect(invalid.exit.spawnError).not.toBeNull()
    expect(invalid.exit.spawnError?.message).not.toContain('secret')
    // A failure does not take the spawner down: the next launch works.
    expect((await collect(node('process.stdout.write("still here")'))).stdout).toBe('still here')
  })

  it('starts a new spawner after one died, and reports the dead one\'s running processes as killed', async () => {
    const own = createSpawnerLauncher()
    try {
      const child = await own.launch(node('setInterval(() => {}, 1000)'))
      const first = own.spawnerPid!
      process.kill(first, 'SIGKILL')
      expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL', spawnError: null })
      for await (const _ of child.output) { /* ends */ }
      await expect.poll(() => alive(child.pid!)).toBe(false)
      const next = await own.launch(node('process.stdout.write("again")'))
      expect(own.spawnerPid).not.toBe(first)
      let text = ''
      for await (const c of next.output) text += Buffer.from(c.chunk).toString()
      expect(text).toBe('again')
    } finally {
      await own.close()
    }
  })

  it('when the gateway dies, the spawner kills what it still runs and exits', async () => {
    // A separate "gateway" process that launches a long agent and is then killed with SIGKILL.
    const script = `
      import { createSpawnerLauncher } from ${JSON.stringify(new URL('../../../src/runner/spawner/spawner-launcher.ts', import.meta.url).href)}
      const launcher = createSpawnerLauncher()
      const child = await launcher.launch({ argv: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], cwd: '/', env: {} })
      console.log(JSON.stringify({ spawner: launcher.spawnerPid, agent: child.pid }))
      setInterval(() => {}, 1000)`
    const gateway = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const line = await new Promise<string>((resolve) => gateway.stdout.once('data', (d) => resolve(String(d))))
    const { spawner, agent } = JSON.parse(line) as { spawner: number, agent: number }
    expect(alive(spawner) && alive(agent)).toBe(true)
    gateway.kill('SIGKILL')
    await expect.poll(() => alive(agent), { timeout: 5000 }).toBe(false)
    await expect.poll(() => alive(spawner), { timeout: 5000 }).toBe(false)
  })

  it('ignores the signals a terminal sends the gateway, and stops on close()', async () => {
    const own = createSpawnerLauncher()
    const child = await own.launch(node('setTimeout(() => process.stdout.write("done"), 200)'))
    const pid = own.spawnerPid!
    process.kill(pid, 'SIGINT')
    let text = ''
    for await (const c of child.output) text += Buffer.from(c.chunk).toString()
    expect(text).toBe('done')
    expect(alive(pid)).toBe(true)
    await own.close()
    await expect.poll(() => alive(pid)).toBe(false)
  })

  it('profiles the spawner too when the gateway runs under --cpu-prof, into the same directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookgate-spawner-prof-'))
    try {
      const script = `
        import { createSpawnerLauncher } from ${JSON.stringify(new URL('../../../src/runner/spawner/spawner-launcher.ts', import.meta.url).href)}
        const launcher = createSpawnerLauncher()
        const child = await launcher.launch({ argv: [process.execPath, '-e', ''], cwd: '/', env: {} })
        await child.exited
        console.log(JSON.stringify({ gateway: process.pid, spawner: launcher.spawnerPid }))
        await launcher.close()`
      const gateway = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      gateway.stdout.on('data', (d) => { out += String(d) })
      expect(await new Promise((resolve) => gateway.once('exit', resolve))).toBe(0)
      const { gateway: gatewayPid, spawner } = JSON.parse(out) as { gateway: number, spawner: number }
      // V8 names each profile CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile.
      const pids = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => Number(f.split('.')[3])).sort((a, b) => a - b)
      expect(pids).toEqual([gatewayPid, spawner].sort((a, b) => a - b))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('passes on only the profiler\'s flags of the gateway, and only when it profiles', () => {
    expect(spawnerProfilerFlags(['--max-semi-space-size=4', '--cpu-prof', '--cpu-prof-dir', '/tmp/p', '--inspect=127.0.0.1:0'])).toEqual(['--cpu-prof', '--cpu-prof-dir', '/tmp/p'])
    expect(spawnerProfilerFlags(['--cpu-prof-dir=/tmp/p', '--cpu-prof', '--cpu-prof-interval=500'])).toEqual(['--cpu-prof-dir=/tmp/p', '--cpu-prof', '--cpu-prof-interval=500'])
    expect(spawnerProfilerFlags(['--cpu-prof-dir', '/tmp/p', '--max-old-space-size=512'])).toEqual([])
    expect(spawnerProfilerFlags(['--inspect', '--no-maglev'])).toEqual([])
  })
})
