// `hookgate check`: validates the config `serve` would load, without starting anything.
import { checkHost } from '../config/host-checks.ts'
import { loadConfigFile } from '../config/load.ts'
import { resolveConfigPath } from '../config/quick-start.ts'
import { ConfigError } from '../errors.ts'
import { noPositionals, parseFlags } from './args.ts'
import { EXIT, type CliContext, type Command } from './context.ts'
import { printConfigProblems } from './print-problems.ts'

const usage = `Usage: hookgate check [--config F]

Validate a configuration file and print every problem with its path (exit 1 on any),
including what it needs from this machine: the agent CLIs on PATH, the working and
project directories, and bubblewrap where an agent has sandbox: bwrap.
The file is found as \`hookgate serve\` finds it: --config, else $HOOKGATE_CONFIG,
else ./hookgate.yaml.

Options:
  --config F    the file to check
  -h, --help    show this help
`

async function run (args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseFlags(args, { config: { type: 'string' } })
  if (parsed === null) {
    ctx.stdout.write(usage)
    return EXIT.ok
  }
  noPositionals(parsed.positionals)
  const path = resolveConfigPath(parsed.values.config, ctx.env, ctx.cwd)
  if (path === null) {
    ctx.stdout.write('no config file (no --config, no $HOOKGATE_CONFIG, no ./hookgate.yaml); `hookgate serve` would use the quick-start default\n')
    return EXIT.ok
  }
  try {
    const { config, warnings } = loadConfigFile(path, ctx.env)
    // What the file asks of this machine: agent CLIs, directories, bubblewrap.
    const host = await checkHost(config, ctx.env)
    const problems = [...host.problems, ...host.sandboxProblems]
    if (problems.length > 0) {
      ctx.stderr.write(`✗ ${path}: ${problems.length} problem${problems.length === 1 ? '' : 's'} on this machine\n`)
      for (const p of problems) ctx.stderr.write(`  ${p.path}: ${p.message}\n`)
      for (const warning of warnings) ctx.stderr.write(`  warning: ${warning}\n`)
      return EXIT.failed
    }
    ctx.stdout.write(`✓ ${path}: OK\n`)
    for (const warning of warnings) ctx.stderr.write(`  warning: ${warning}\n`)
    return EXIT.ok
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    printConfigProblems(err, path, ctx)
    return EXIT.failed
  }
}

export const checkCommand: Command = { name: 'check', usage, run }
