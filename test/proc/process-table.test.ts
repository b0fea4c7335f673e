// Reading /proc: identities of real processes, including names built to fool a naive stat parser.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { currentBootId, hasEnvMarker, listProcesses, parseStat, processIdentity } from '../../src/proc/process-table.ts'
import { firstLine, Spawned, uptimeTicks, waitFor } from './helpers.ts'

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
// 15 characters (the kernel keeps 15): after the first ")" it reads like a state and four numbers.
const TRICKY_NAME = 'a) R 7 7 7 (b c'
const comm = (pid: number): string => readFileSync(`/proc/${pid}/comm`, 'utf8').replace(/\n$/, '')
const stat22 = (...fields: string[]): string => fields.concat(Array(40).fill('0')).join(' ')

const spawned = new Spawned()
const scratch: string[] = []
afterEach(() => {
  spawned.killAll()
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('parseStat', () => {
  it('takes pid, state, ppid, pgid, sid and field 22 (start time)', () => {
    // Fields 3..22: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    // cutime cstime priority nice threads itrealvalue starttime; then vsize (23).
    const line = `42 (bash) S 1 40 39 ${stat22('34816', '40', '4194560', '5', '0', '0', '0', '1', '2', '0', '0', '20', '0', '1', '0', '123456', '99999999')}`
    expect(parseStat(line)).toEqual({ pid: 42, ppid: 1, pgid: 40, sid: 39, startTicks: 123456, state: 'S' })
  })

  it('counts fields from the last ")" whatever the name holds', () => {
    const fields = stat22('0', '-1', '0', '0', '0', '0', '0', '0', '0', '0', '0', '20', '0', '1', '0', '777')
    expect(parseStat(`9 (${TRICKY_NAME}) S 2 3 4 ${fields}`)).toMatchObject({ pid: 9, ppid: 2, pgid: 3, sid: 4, startTicks: 777, state: 'S' })
    expect(parseStat(`9 (x) (y) S 2 3 4 ${fields}`)).toMatchObject({ ppid: 2, startTicks: 777 })
    expect(parseStat(`9 (new\nline) ) R 2 3 4 ${fields}`)).toMatchObject({ state: 'R', ppid: 2, startTicks: 777 })
    expect(parseStat(`9 () Z 2 3 4 ${fields}`)).toMatchObject({ state: 'Z', startTicks: 777 })
  })

  it('rejects what is not a stat line', () => {
    expect(parseStat('')).toBeNull()
    expect(parseStat('42 (bash) S 1 40 39')).toBeNull() // cut short
    expect(parseStat('x (bash) S 1 40 39 ' + stat22())).toBeNull()
    expect(parseStat('42 bash S 1 40 39 ' + stat22())).toBeNull()
    expect(parseStat('42 (bash) S -1 40 39 ' + stat22())).toBeNull()
  })
})

describe('processIdentity', () => {
  it('reads a real process whose name has spaces and parentheses (process.title)', async () => {
    const before = uptimeTicks(TICKS)
    const child = spawned.start(process.execPath, ['-e', `process.title = ${JSON.stringify(TRICKY_NAME)}; console.log('ready'); setTimeout(() => {}, 20000)`], { detached: true })
    await firstLine(child)
    const after = uptimeTicks(TICKS)
    const pid = child.pid!
    expect(comm(pid)).toBe(TRICKY_NAME) // the kernel really holds the tricky name
    const identity = processIdentity(pid)
    expect(identity).toMatchObject({ pid, pgid: pid, sid: pid, bootId: currentBootId(), state: expect.stringMatching(/^[RS]$/) })
    // Field 21 (always 0) or 23 (bytes of memory) would fall outside; a naive split reads 7s.
    expect(identity!.startTicks).toBeGreaterThanOrEqual(Math.floor(before) - 1)
    expect(identity!.startTicks).toBeLessThanOrEqual(Math.ceil(after) + 1)
  })

  it('reads a process started from an executable named like a stat line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proc-name-'))
    scratch.push(dir)
    const exe = join(dir, TRICKY_NAME)
    symlinkSync('/usr/bin/sleep', exe)
    const child = spawned.start(exe, ['20'])
    expect(await waitFor(() => comm(child.pid!) === TRICKY_NAME, 2000)).toBe(true)
    const ps = execFileSync('ps', ['-o', 'pgid=,sid=', '-p', String(child.pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number)
    expect(processIdentity(child.pid!)).toMatchObject({ pid: child.pid, pgid: ps[0], sid: ps[1], state: expect.stringMatching(/^[RS]$/) })
    // Started after this test process, so a later start time.
    expect(processIdentity(child.pid!)!.startTicks).toBeGreaterThanOrEqual(processIdentity(process.pid)!.startTicks)
  })

  it('answers null for a pid that is gone and for nonsense', async () => {
    const child = spawned.start(process.execPath, ['-e', ''])
    await new Promise((resolve) => child.once('exit', resolve))
    expect(await waitFor(() => processIdentity(child.pid!) === null, 2000)).toBe(true)
    expect(processIdentity(0)).toBeNull()
    expect(processIdentity(-1)).toBeNull()
    expect(processIdentity(1.5)).toBeNull()
  })

  it('gives the boot id of this boot', () => {
    expect(currentBootId()).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim())
    expect(currentBootId()).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('listProcesses', () => {
  it('lists this process with its parent, and a child with its group', async () => {
    const child = spawned.start(process.execPath, ['-e', "console.log('ready'); setTimeout(() => {}, 20000)"], { detached: true })
    await firstLine(child)
    const table = listProcesses()
    expect(table.find((p) => p.pid === process.pid)).toMatchObject({ ppid: process.ppid })
    expect(table.find((p) => p.pid === child.pid)).toMatchObject({ ppid: process.pid, pgid: child.pid, sid: child.pid })
    expect(table.find((p) => p.pid === 1)).toMatchObject({ ppid: 0 })
    expect(new Set(table.map((p) => p.pid)).size).toBe(table.length)
  })

  it('shows a zombie with state Z', async () => {
    // sh backgrounds a short sleep and execs a long one, which never reaps it: a zombie that stays.
    const child = spawned.start('/bin/sh', ['-c', 'sleep 0 & exec sleep 20'])
    const zombie = (): number | undefined => listProcesses().find((p) => p.ppid === child.pid && p.state === 'Z')?.pid
    expect(await waitFor(() => zombie() !== undefined, 3000)).toBe(true)
    expect(processIdentity(zombie()!)?.state).toBe('Z')
  })
})

describe('hasEnvMarker', () => {
  const withEnv = async (env: Record<string, string>): Promise<number> => {
    const child = spawned.start(process.execPath, ['-e', "console.log('ready'); setTimeout(() => {}, 20000)"], { env })
    await firstLine(child)
    return child.pid!
  }

  it('matches exactly name=value, first, middle or last', async () => {
    const first = await withEnv({ HOOKGATE_RUN_ID: 'run_a', OTHER: 'x' })
    const last = await withEnv({ OTHER: 'x', HOOKGATE_RUN_ID: 'run_a' })
    expect(hasEnvMarker(first, 'HOOKGATE_RUN_ID', 'run_a')).toBe(true)
    expect(hasEnvMarker(last, 'HOOKGATE_RUN_ID', 'run_a')).toBe(true)
    expect(hasEnvMarker(first, 'OTHER', 'x')).toBe(true)
  })

  it('does not match a prefix, a longer value, a longer name or a value elsewhere', async () => {
    const pid = await withEnv({ HOOKGATE_RUN_ID: 'run_ab', XHOOKGATE_RUN_ID: 'run_a', NOTE: 'HOOKGATE_RUN_ID=run_a' })
    expect(hasEnvMarker(pid, 'HOOKGATE_RUN_ID', 'run_a')).toBe(false)
    expect(hasEnvMarker(pid, 'HOOKGATE_RUN_ID', 'run_abc')).toBe(false)
    expect(hasEnvMarker(pid, 'HOOKGATE_RUN', 'ID=run_ab')).toBe(false)
    expect(hasEnvMarker(pid, 'HOOKGATE_RUN_ID', 'run_ab')).toBe(true)
  })

  it('is false for a process that is gone', async () => {
    const child = spawned.start(process.execPath, ['-e', ''], { env: { HOOKGATE_RUN_ID: 'gone' } })
    await new Promise((resolve) => child.once('exit', resolve))
    expect(await waitFor(() => !hasEnvMarker(child.pid!, 'HOOKGATE_RUN_ID', 'gone'), 2000)).toBe(true)
    expect(hasEnvMarker(0, 'HOOKGATE_RUN_ID', 'gone')).toBe(false)
  })
})
