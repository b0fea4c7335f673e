import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { describe, expect, it } from 'vitest'
import { createExecaLauncher } from '../../src/runner/execa-launcher.ts'
import type { LaunchSpec, OutputChunk } from '../../src/runner/launcher.ts'

const launcher = createExecaLauncher()
const node = (code: string, extra: Partial<LaunchSpec> = {}): LaunchSpec => ({ argv: [process.execPath, '-e', code], cwd: tmpdir(), env: {}, ...extra })

async function collect (spec: LaunchSpec) {
  const child = launcher.launch(spec)
  const chunks: OutputChunk[] = []
  for await (const c of child.output) chunks.push(c)
  const exit = await child.exited
  const text = (stream: string) => Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => c.chunk)).toString()
  return { child, chunks, exit, stdout: text('stdout'), stderr: text('stderr') }
}

describe('execa launcher', () => {
  it('starts the child as the leader of its own process group', async () => {
    const child = launcher.launch(node('setTimeout(() => {}, 200)'))
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
    expect(pgrp).toBe(child.pid)
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

  it('passes exactly the given environment', async () => {
    const { stdout } = await collect(node('process.stdout.write(JSON.stringify(process.env))', { env: { ONLY: 'this' } }))
    expect(JSON.parse(stdout)).toEqual({ ONLY: 'this' })
  })

  it('keeps stdout and stderr apart and reports the exit', async () => {
    const { exit, stdout, stderr } = await collect(node('process.stdout.write("out"); process.stderr.write("err"); process.exitCode = 4'))
    expect({ exit, stdout, stderr }).toEqual({ exit: { code: 4, signal: null, spawnError: null }, stdout: 'out', stderr: 'err' })
  })

  it('hands over bounded chunks of an endless line', async () => {
    const { chunks, stdout } = await collect(node('process.stdout.write(Buffer.alloc(4 * 1024 * 1024, 120))'))
    expect(stdout.length).toBe(4 * 1024 * 1024)
    expect(Math.max(...chunks.map((c) => c.chunk.length))).toBeLessThanOrEqual(64 * 1024)
  })

  it('reports a spawn failure without throwing and without quoting the arguments', async () => {
    const missing = await collect({ argv: ['hookgate-missing-binary', 'secret prompt'], cwd: tmpdir(), env: { PATH: '/usr/bin:/bin' } })
    expect(missing.child.pid).toBeUndefined()
    expect(missing.exit.spawnError?.code).toBe('ENOENT')
    expect(missing.exit.spawnError?.message).not.toContain('secret prompt')
    const invalid = await collect({ argv: [process.execPath, 'secret\0prompt'], cwd: tmpdir(), env: {} })
    expect(invalid.exit.spawnError).not.toBeNull()
    expect(invalid.exit.spawnError?.message).not.toContain('secret')
  })
})
