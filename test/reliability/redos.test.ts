// G-POL-2: ReDoS. A library of catastrophic patterns goes through `hookgate check`: whatever cannot
// run in linear time (backreferences, lookaround, large counted repetition) is refused at load with
// its path and the reason, and exits non-zero; everything it accepts, and every pattern of the
// example config, evaluates 100 KiB of adversarial text in at most 50 ms. A real gateway process
// with those patterns answers 16 KiB adversarial prompts at once, and enforces the prompt length cap
// (16,384 characters by default); `hookgate check` enforces the pattern caps (512 characters, 200
// patterns per list).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { afterEach, describe, expect, it } from 'vitest'
import { compilePolicy, policyProblems } from '../../src/policy/compiled-policy.ts'
import { compileLinear } from '../../src/policy/linear-regex.ts'
import { readAudit } from '../helpers/conservation.ts'
import { chaosConfig, cleanupGatewayProcesses, listAllRuns, postSigned, runHookgate, SECRET, startGatewayProcess, waitFor } from '../helpers/gateway-process.ts'
import { patchConfig } from './config-patch.ts'
import { expectBooksBalance } from './util.ts'

afterEach(cleanupGatewayProcesses)

const EXAMPLE = fileURLToPath(new URL('../../deploy/hookgate.example.yaml', import.meta.url))
const KIB_100 = 100 * 1024
const MAX_EVAL_MS = 50

/** Patterns known to backtrack catastrophically (or to need backtracking at all) on a regex engine. */
const CATASTROPHIC = [
  '(a+)+$', '(a|a)+b', '^(a|a)+b$', '.*.*.*.*x$', '(a*)*b', '(a|aa)+$', '(\\w+\\s?)+$', '(x+x+)+y',
  '([a-z]+)*$', '(a|b|ab)*c', '^(\\d+)*$', '(\\s*,\\s*)*x', '(.*a){12}', '(?:a|a?)+b', '(\\w|\\d)+$',
  '^(([a-z])+.)+[a-z]([a-z])+$', '(.*,){20}x', '^(a?){25}a{25}$', '(\\d+|\\d+\\.)+$', '(<[^>]*>)*!',
  // Syntax the linear engine cannot run at all.
  '(a+)\\1', '(?<x>a+)\\k<x>', '(?=a+)a*b', '(?!b)a+$', '(?<=a+)b', '(?<!x)a+$', 'a{1000}b', '(a{2,100}){2,100}'
]

/** Inputs that make backtracking engines explode: long runs of one unit with a failing tail. */
function adversarialInputs (pattern: string, size: number): string[] {
  const literal = pattern.replace(/\\[a-z]|[^a-z0-9 ,<>.]/gi, '')
  const units = ['a', 'x', '1', 'ab', 'aa', 'word ', ' ,', 'a,', '<a>', 'rm ', 'curl ', ...(literal === '' ? [] : [literal])]
  const out: string[] = []
  for (const unit of units) {
    const run = unit.repeat(Math.ceil(size / unit.length)).slice(0, size - 1)
    for (const tail of ['!', 'y', 'a']) out.push(run + tail)
  }
  return out
}

/** The slowest of the inputs, each the best of up to three runs (a GC pause or a cold JIT is not the engine). */
function worstMs (regex: RegExp, inputs: readonly string[]): number {
  let worst = 0
  for (const input of inputs) {
    let best = Infinity
    for (let i = 0; i < 3 && best > 5; i++) {
      const start = performance.now()
      regex.test(input)
      best = Math.min(best, performance.now() - start)
    }
    worst = Math.max(worst, best)
  }
  return worst
}

function patternsOf (config: { policy?: { block?: string[] }, commands?: Record<string, { allow?: string[], args_match?: string }> }): Array<{ where: string, source: string }> {
  return [
    ...(config.policy?.block ?? []).map((source, i) => ({ where: `policy.block[${i}]`, source })),
    ...Object.entries(config.commands ?? {}).flatMap(([name, c]) => [
      ...(c.allow ?? []).map((source, i) => ({ where: `commands.${name}.allow[${i}]`, source })),
      ...(c.args_match === undefined ? [] : [{ where: `commands.${name}.args_match`, source: c.args_match }])
    ])
  ]
}

async function check (yaml: string): Promise<{ code: number | null, out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-redos-'))
  writeFileSync(join(dir, 'hookgate.yaml'), `state_dir: ${JSON.stringify(join(dir, 'state'))}\n${yaml}`)
  try {
    const result = await runHookgate(['check', '--config', join(dir, 'hookgate.yaml')], dir)
    return { code: result.code, out: result.stdout + result.stderr }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The library as a command's allow list (allow patterns may match the empty string; block patterns may not). */
const libraryConfig = (patterns: readonly string[]): string => patchConfig(chaosConfig(), { commands: { probe: { prompt: '{args}', allow: [...patterns] } } })

describe('G-POL-2 ReDoS', () => {
  it('refuses non-linear patterns at load, and every accepted or example pattern evaluates 100 KiB in ≤ 50 ms', async () => {
    const checked = await check(libraryConfig(CATASTROPHIC))
    const refused = new Map([...checked.out.matchAll(/^\s+\/commands\/probe\/allow\/(\d+): (.*)$/gm)].map((m) => [Number(m[1]), m[2]!]))
    const accepted = CATASTROPHIC.filter((_, i) => !refused.has(i))

    const example = parse(readFileSync(EXAMPLE, 'utf8')) as Parameters<typeof patternsOf>[0] & Parameters<typeof policyProblems>[0]
    const examplePatterns = patternsOf(example)
    const timings = [
      ...accepted.map((source) => ({ where: 'library', source })),
      ...examplePatterns.map((p) => ({ where: `example ${p.where}`, source: p.source }))
    ].map((p) => ({ ...p, ms: worstMs(compileLinear(p.source), adversarialInputs(p.source, KIB_100)) }))
    const slowest = timings.reduce((a, b) => (b.ms > a.ms ? b : a))
    // The anchor: the same kind of pattern on V8's default backtracking engine, on tiny inputs.
    const backtracking = [16, 18, 20, 22].map((n) => {
      const start = performance.now()
      ;/^(a|a)+b$/.test('a'.repeat(n))
      return `${n} chars ${(performance.now() - start).toFixed(1)} ms`
    })
    console.log(`G-POL-2: ${CATASTROPHIC.length} catastrophic patterns: ${refused.size} refused at load by \`hookgate check\` (exit ${checked.code}), ${accepted.length} accepted and linear; ` +
      `${examplePatterns.length} example-config patterns; worst evaluation of 100 KiB adversarial text ${slowest.ms.toFixed(2)} ms (${slowest.where} ${JSON.stringify(slowest.source)}, ` +
      `${adversarialInputs('', KIB_100).length}+ inputs per pattern); over ${MAX_EVAL_MS} ms: ${timings.filter((t) => t.ms > MAX_EVAL_MS).map((t) => `${t.source} ${t.ms.toFixed(1)} ms`).join(', ') || 'none'}; ` +
      `^(a|a)+b$ on the backtracking engine: ${backtracking.join(', ')}\n` +
      [...refused].map(([i, why]) => `  refused ${JSON.stringify(CATASTROPHIC[i])}: ${why}`).join('\n'))

    expect(checked.code, 'hookgate check exits non-zero').not.toBe(0)
    expect(refused.size, 'the non-linear syntax at least').toBeGreaterThanOrEqual(8)
    for (const source of ['(a+)\\1', '(?<x>a+)\\k<x>', '(?=a+)a*b', '(?!b)a+$', '(?<=a+)b', '(?<!x)a+$', 'a{1000}b']) {
      expect(refused.get(CATASTROPHIC.indexOf(source)), `${source} is refused with its reason`).toMatch(/linear time|lookaround/)
    }
    expect(policyProblems(example), 'the example config\'s patterns all load').toEqual([])
    expect(examplePatterns.length).toBeGreaterThanOrEqual(3)
    expect(timings.filter((t) => t.ms > MAX_EVAL_MS).map((t) => `${t.where} ${t.source}: ${t.ms.toFixed(1)} ms`)).toEqual([])
  }, 120_000)

  it('a gateway process with those patterns answers 16 KiB adversarial prompts at once and enforces the 16,384-character cap', async () => {
    const checked = await check(libraryConfig(CATASTROPHIC))
    const refused = new Set([...checked.out.matchAll(/^\s+\/commands\/probe\/allow\/(\d+):/gm)].map((m) => Number(m[1])))
    // As block patterns, which every request meets (one that matches the empty string would refuse them all: not allowed).
    const library = CATASTROPHIC.filter((source, i) => !refused.has(i) && !compileLinear(source).test(''))
    const example = parse(readFileSync(EXAMPLE, 'utf8')) as { policy: { block: string[] } }
    const gw = await startGatewayProcess(patchConfig(chaosConfig({ queue: 60 }), { policy: { block: [...example.policy.block, ...library] } }), { env: { CHAOS_DURATION_MS: '50' } })

    const cap = 16_384
    const answers = []
    for (const text of adversarialInputs('', cap - 100)) answers.push(await postSigned(gw.url, JSON.stringify({ text }), { async: true }))
    // Two caps: the webhook body's `text` (16,384 characters, checked with the request's schema: 400) and the
    // policy's max_prompt_chars (default 16,384, for every text, platform messages included: 403).
    const limits = [
      { what: `${cap} ASCII characters`, text: '.'.repeat(cap), refused: false },
      { what: `${cap + 1} ASCII characters`, text: '.'.repeat(cap + 1), refused: true },
      { what: `${cap} characters of 3 bytes (48 KiB)`, text: '€'.repeat(cap), refused: false },
      { what: `${cap + 1} characters of 4 bytes`, text: '😀'.repeat(cap + 1), refused: true }
    ]
    const capped = []
    for (const l of limits) capped.push({ ...l, answer: await postSigned(gw.url, JSON.stringify({ text: l.text }), { async: true }) })
    const policy = compilePolicy({ policy: {}, commands: { run: { prompt: '{args}' } }, callers: { ci: { scheme: 'hmac-sha256', secrets: [SECRET], commands: ['run'], default_command: 'run' } } })
    const policyCap = [cap, cap + 1].map((n) => ({ chars: n, decision: policy.resolve('ci', 'x'.repeat(n)) }))
    const ms = answers.map((a) => a.ms).sort((a, b) => a - b)
    const tooLong = readAudit(gw.stateDir).filter((r) => r.event === 'rejected' && /^(policy: max_prompt_chars|invalid_body)$/.test(String(r.reason)))
    const statuses = (list: Array<{ status: number }>): string => JSON.stringify(Object.fromEntries([...new Set(list.map((a) => a.status))].map((s) => [s, list.filter((a) => a.status === s).length])))
    console.log(`G-POL-2 end to end: ${answers.length} adversarial prompts of ${cap - 100} characters against ${library.length} catastrophic and ${example.policy.block.length} example block patterns: ` +
      `answered in ${ms[0]}–${ms.at(-1)} ms (median ${ms[Math.floor(ms.length / 2)]}), statuses ${statuses(answers)}; ` +
      `prompt cap: ${capped.map((c) => `${c.what} → ${c.answer.status}${c.answer.status >= 400 ? ` (${String(c.answer.body?.message).slice(0, 60)})` : ''}`).join(', ')}; ` +
      `${tooLong.length} audited as too long; policy layer: ${policyCap.map((p) => `${p.chars} → ${p.decision.kind}${p.decision.kind === 'denied' ? ` ${p.decision.rule}` : ''}`).join(', ')}`)

    expect(answers.filter((a) => ![202, 403].includes(a.status)).map((a) => `${a.status} ${a.text.slice(0, 120)}`)).toEqual([])
    expect(ms.at(-1)!, 'the slowest answer (ms)').toBeLessThan(2000)
    for (const c of capped) {
      const tooLongAnswer = c.answer.status === 400 || (c.answer.status === 403 && /max_prompt_chars/.test(String(c.answer.body?.message)))
      expect({ what: c.what, refusedForLength: tooLongAnswer }).toEqual({ what: c.what, refusedForLength: c.refused })
    }
    expect(tooLong).toHaveLength(limits.filter((l) => l.refused).length)
    expect(policyCap.map((p) => p.decision.kind === 'denied' ? p.decision.rule : p.decision.kind)).toEqual(['run', 'max_prompt_chars'])
    // Whatever the patterns let through ran and ended.
    await waitFor(async () => (await listAllRuns(gw.url)).every((r) => !['queued', 'running'].includes(String(r.status))) ? true : undefined, 30_000)
    await expectBooksBalance(gw)
  }, 90_000)

  it('hookgate check enforces the pattern caps: 512 characters, 200 patterns per list', async () => {
    const words = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => `${tag}${i}`)
    const atCap = await check(patchConfig(chaosConfig(), {
      policy: { block: ['b'.repeat(512), ...words(199, 'blocked') ] },
      commands: { run: { prompt: '{args}', allow: words(200, 'allowed'), args_match: `^${'c'.repeat(511)}` } }
    }))
    const overCapYaml = patchConfig(chaosConfig(), {
      policy: { block: ['b'.repeat(513), ...words(200, 'blocked')] },
      commands: { run: { prompt: '{args}', allow: words(201, 'allowed'), args_match: `^${'c'.repeat(512)}` } }
    })
    const overCap = await check(overCapYaml)
    const problems = [...overCap.out.matchAll(/^\s+(\/\S+): (.*?)(?: \[line \d+\])?$/gm)].map((m) => `${m[1]}: ${m[2]}`)
    // The policy compiler holds the same caps on its own (a config that never went through the schema).
    const compiler = policyProblems(parse(overCapYaml) as Parameters<typeof policyProblems>[0]).map((p) => `${p.path}: ${p.message}`)
    console.log(`G-POL-2 caps: 512-character pattern and 200 patterns per list → exit ${atCap.code}; 513 characters and 201 patterns → exit ${overCap.code}: ${problems.join('; ')}. ` +
      'The caps are per list: one request can meet the global block list (200), its command\'s allow list (200) and args_match (1), 401 patterns in all')

    expect(atCap.code, atCap.out).toBe(0)
    expect(overCap.code).toBe(1)
    for (const found of [problems, compiler]) {
      expect(found).toEqual(expect.arrayContaining([
        expect.stringMatching(/^\/policy\/block\/0: .*512/),
        expect.stringMatching(/^\/policy\/block: .*200/),
        expect.stringMatching(/^\/commands\/run\/allow: .*200/),
        expect.stringMatching(/^\/commands\/run\/args_match: .*512/)
      ]))
    }
  }, 60_000)
})
