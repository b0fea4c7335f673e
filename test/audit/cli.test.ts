// `hookgate audit verify`, run as the real binary: where it finds the log, what it prints, and its
// exit codes (0 verified, 1 a break or nothing to verify, 2 usage).
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, startGateway, VALID_CONFIG } from '../cli/helpers.ts'
import { buildLog, linesOf, logFileNames, tempStateDir } from './helpers.ts'

const OK_LINE = /^OK: (\d+) records, seq 1\.\.(\d+), (\d+) files\n$/

function tamper (dir: string, file: string, line: number): number {
  const lines = linesOf(readFileSync(join(dir, file), 'utf8'))
  const seq = (JSON.parse(lines[line - 1]!) as { seq: number }).seq
  lines[line - 1] = lines[line - 1]!.replace('"event":"', '"event":"x')
  writeFileSync(join(dir, file), lines.map((l) => `${l}\n`).join(''))
  return seq
}

describe('hookgate audit verify', () => {
  it('verifies a multi-file log given as a directory or as its live file: OK line, exit 0', async () => {
    const dir = tempStateDir()
    buildLog(dir, 120, 4000)
    const files = logFileNames(dir).length
    for (const arg of [dir, join(dir, 'audit.jsonl')]) {
      const r = await runCli(['audit', 'verify', arg])
      expect(r.code, r.stderr).toBe(0)
      const [, records, last, count] = OK_LINE.exec(r.stdout) ?? []
      expect(Number(records)).toBe(Number(last))
      expect(Number(records)).toBeGreaterThan(120)
      expect(Number(count)).toBe(files)
    }
  })

  it('prints the first bad record (file, line, seq, what is wrong) and exits 1', async () => {
    const dir = tempStateDir()
    buildLog(dir, 120, 4000)
    const file = logFileNames(dir)[2]!
    const seq = tamper(dir, file, 3)
    tamper(dir, logFileNames(dir)[4]!, 1)
    const r = await runCli(['audit', 'verify', dir])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe(`FAIL: ${file} line 3, seq ${seq}: bad hash: the record was edited or forged\n  in ${dir}; ${seq - 1} good records before it (seq 1..${seq - 1})\n`)
  })

  it('reports a truncated tail against the head anchor', async () => {
    const dir = tempStateDir()
    buildLog(dir, 30, 4000)
    const live = join(dir, 'audit.jsonl')
    const lines = linesOf(readFileSync(live, 'utf8'))
    writeFileSync(live, lines.slice(0, -2).map((l) => `${l}\n`).join(''))
    const last = (JSON.parse(lines.at(-1)!) as { seq: number }).seq
    const r = await runCli(['audit', 'verify', live])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(new RegExp(`^FAIL: audit\\.jsonl line ${lines.length - 1}, seq ${last - 1}: truncated tail: the log ends at seq ${last - 2} but the head anchor names seq ${last}: seq ${last - 1}\\.\\.${last} deleted\\n`))
  })

  it('starts from the first file left after pruning, saying so; --strict makes that a failure', async () => {
    const dir = tempStateDir()
    buildLog(dir, 120, 4000)
    const files = logFileNames(dir)
    unlinkSync(join(dir, files[0]!))
    unlinkSync(join(dir, files[1]!))
    const r = await runCli(['audit', 'verify', dir])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^OK: \d+ records, seq \d+\.\.\d+, \d+ files\nnote: the chain starts at seq \d+ in audit\.000003\.jsonl, not at seq 1: older files were pruned \(or deleted\)\n$/)
    const strict = await runCli(['audit', 'verify', '--strict', dir])
    expect(strict.code).toBe(1)
    expect(strict.stdout).toMatch(/^FAIL \(--strict\): .*, but the chain is not whole:\nnote: the chain starts at seq/)
  })

  it('--json prints the whole result as one object', async () => {
    const dir = tempStateDir()
    buildLog(dir, 40, 4000)
    const seq = tamper(dir, 'audit.000001.jsonl', 2)
    const r = await runCli(['audit', 'verify', '--json', dir])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, dir, records: 1, problem: { kind: 'bad_hash', file: 'audit.000001.jsonl', line: 2, seq } })
  })

  it('finds the log as serve finds its config: ./hookgate.yaml, $HOOKGATE_CONFIG, --config, else ./.hookgate', async () => {
    const cwd = tempStateDir()
    writeFileSync(join(cwd, 'hookgate.yaml'), VALID_CONFIG)
    buildLog(join(cwd, 'state'), 5, 1 << 20)
    expect((await runCli(['audit', 'verify'], { cwd })).stdout).toBe('OK: 5 records, seq 1..5, 1 file\n')
    const elsewhere = tempStateDir()
    expect((await runCli(['audit', 'verify', '--config', join(cwd, 'hookgate.yaml')], { cwd: elsewhere })).stdout).toBe('OK: 5 records, seq 1..5, 1 file\n')
    expect((await runCli(['audit', 'verify'], { cwd: elsewhere, env: { HOOKGATE_CONFIG: join(cwd, 'hookgate.yaml') } })).stdout).toBe('OK: 5 records, seq 1..5, 1 file\n')
    buildLog(join(elsewhere, '.hookgate'), 3, 1 << 20)
    expect((await runCli(['audit', 'verify'], { cwd: elsewhere })).stdout).toBe('OK: 3 records, seq 1..3, 1 file\n')
  })

  it('verifies the log a real quick-start gateway writes', async () => {
    const gw = await startGateway(null)
    try {
      const r = await runCli(['audit', 'verify'], { cwd: gw.dir })
      expect(r.code, r.stdout + r.stderr).toBe(0)
      expect(r.stdout).toMatch(/^OK: \d+ records?, seq 1\.\.\d+, 1 file\n/)
    } finally {
      await gw.stop()
    }
  })

  it('exits 1 with a message when there is no log or no key', async () => {
    const empty = tempStateDir()
    const none = await runCli(['audit', 'verify'], { cwd: empty })
    expect(none).toMatchObject({ code: 1, stdout: '' })
    expect(none.stderr).toBe(`hookgate audit: no audit log at ${join(empty, '.hookgate', 'audit.jsonl')}\n`)
    const dir = tempStateDir()
    buildLog(dir, 3, 1 << 20)
    unlinkSync(join(dir, 'audit.key'))
    const nokey = await runCli(['audit', 'verify', dir])
    expect(nokey.code).toBe(1)
    expect(nokey.stderr).toContain(`cannot verify: no audit key at ${join(dir, 'audit.key')}`)
  })

  it('exits 2 on a config with problems, naming them', async () => {
    const cwd = tempStateDir()
    writeFileSync(join(cwd, 'hookgate.yaml'), 'callers: {}\naudit: { rotate_bytes: 10 }\n')
    const r = await runCli(['audit', 'verify'], { cwd })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('/audit/rotate_bytes')
    expect(r.stderr).toContain('give the log as FILE')
  })

  it('exits 2 on bad usage, pointing to --help', async () => {
    const dir = tempStateDir()
    mkdirSync(join(dir, 'x'))
    for (const args of [['audit'], ['audit', 'check'], ['audit', 'verify', 'a', 'b'], ['audit', 'verify', '--bogus'], ['audit', 'verify', dir, '--config', 'c.yaml']]) {
      const r = await runCli(args, { cwd: dir })
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(/^hookgate audit: .+\nRun `hookgate audit --help` for usage\.\n$/)
    }
  })

  it('has help text, and is listed by hookgate --help', async () => {
    for (const args of [['audit', '--help'], ['audit', 'verify', '--help'], ['help', 'audit']]) {
      const r = await runCli(args)
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^Usage: hookgate audit verify \[FILE\|DIR\] \[--config F\] \[--strict\] \[--json\]/)
    }
    expect((await runCli(['--help'])).stdout).toMatch(/^ {2}audit +audit verify \[FILE\]: check the audit log's hash chain$/m)
  })
})
