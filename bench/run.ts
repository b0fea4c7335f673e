// `npm run bench`: hookgate side by side with the alternatives. Prints one Markdown table per section
// (stdout; progress goes to stderr) and writes every figure of every round to bench/results.json.
// See bench/README.md for what each figure means.
import { existsSync, writeFileSync } from 'node:fs'
import { constants } from 'node:os'
import { fileURLToPath } from 'node:url'
import { RAISED_LIMITS } from './lib/hookgate-config.ts'
import { machine } from './lib/machine.ts'
import { ProcessSet } from './lib/processes.ts'
import { goalMet, type BenchContext, type SectionResult } from './lib/section.ts'
import { parseSettings, USAGE, type SectionId } from './lib/settings.ts'
import { renderHeader, renderSection } from './lib/table.ts'
import { WEBHOOK } from './lib/webhook-hooks.ts'
import { findWrk } from './lib/wrk.ts'
import { cpuSection } from './sections/cpu.ts'
import { fanoutSection } from './sections/fanout.ts'
import { floodSection } from './sections/flood.ts'
import { profileSection } from './sections/profile.ts'
import { rejectSection } from './sections/reject.ts'
import { runSection } from './sections/run-path.ts'
import { streamSection } from './sections/stream.ts'

const SECTIONS: Record<SectionId, (ctx: BenchContext) => Promise<SectionResult>> = {
  reject: rejectSection,
  run: runSection,
  stream: streamSection,
  flood: floodSection,
  fanout: fanoutSection,
  cpu: cpuSection
}

const DEFAULT_OUT = fileURLToPath(new URL('./results.json', import.meta.url))

async function main (procs: ProcessSet): Promise<number> {
  const settings = parseSettings(process.argv.slice(2), findWrk() !== null, DEFAULT_OUT)
  if (settings === null) {
    process.stdout.write(USAGE)
    return 0
  }
  const began = performance.now()
  const log = (line: string): void => { process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(1)}s] ${line}\n`) }
  const webhook = existsSync(WEBHOOK)
  const ctx: BenchContext = { settings, procs, tool: settings.tool, webhook, scratch: procs.tempDir('scratch'), log }
  const m = machine()
  process.stdout.write(`${renderHeader(m, settings)}\n`)
  if (!webhook) process.stdout.write(`\nadnanh/webhook rows skipped: ${WEBHOOK} is not installed (apt-get install webhook).\n`)

  if (settings.profile !== null) {
    for (const section of await profileSection(ctx, settings.profile)) process.stdout.write(`\n${renderSection(section)}\n`)
    return 0
  }

  const results: SectionResult[] = []
  let failed = 0
  for (const id of settings.sections) {
    try {
      const section = await SECTIONS[id](ctx)
      results.push(section)
      process.stdout.write(`\n${renderSection(section)}\n`)
    } catch (error) {
      failed++
      process.stdout.write(`\n## ${id}: failed\n\n${(error as Error).message}\n`)
    }
  }
  const document = {
    date: m.date,
    machine: m,
    settings: { ...settings, out: undefined },
    webhookSkipped: !webhook,
    hookgateLimits: RAISED_LIMITS,
    sections: Object.fromEntries(results.map((s) => [s.id, { title: s.title, measuredBy: s.measuredBy, goals: s.goals.map((g) => ({ ...g, met: goalMet(g) })), notes: s.notes, figures: s.data }]))
  }
  writeFileSync(settings.out, `${JSON.stringify(document, null, 2)}\n`)
  log(`results written to ${settings.out}`)
  return failed === 0 ? 0 : 1
}

async function bench (): Promise<number> {
  const procs = new ProcessSet()
  const cleanup = (): void => {
    procs.killAll()
    procs.removeDirs()
  }
  // Whatever happens — an error, Ctrl-C, a kill — no server or agent outlives the bench.
  process.on('exit', cleanup)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => process.exit(128 + constants.signals[signal]))
  }
  try {
    return await main(procs)
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`)
    return 1
  } finally {
    cleanup()
  }
}

process.exitCode = await bench()
