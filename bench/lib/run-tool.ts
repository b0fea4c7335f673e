// A load generator as a tracked child process: its output goes to a file (read once it exits), and
// it is killed if it outlives its time limit or the bench.
import { join } from 'node:path'
import type { ProcessSet } from './processes.ts'

export async function runTool (procs: ProcessSet, file: string, args: string[], opts: { cwd: string, timeoutS: number }): Promise<string> {
  const logFile = join(opts.cwd, `tool-${process.hrtime.bigint()}.log`)
  const tool = procs.spawn(file, args, { cwd: opts.cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' }, logFile })
  const limit = setTimeout(() => { void tool.stop({ signal: 'SIGKILL' }) }, opts.timeoutS * 1000)
  const exit = await tool.exited
  clearTimeout(limit)
  const out = tool.log()
  if (exit.code !== 0) throw new Error(`${file} ${exit.signal !== null ? `was killed (${exit.signal})` : `exited with code ${exit.code}`}:\n${out.slice(-2000)}`)
  return out
}
