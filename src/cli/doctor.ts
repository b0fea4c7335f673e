// `hookgate doctor`: a checklist of what this machine needs to run the configured gateway, one line
// per check, each problem with its fix. Exit 1 when a check fails; warnings do not fail.
import { hasFailure } from '../doctor/check.ts'
import { renderJson, renderText } from '../doctor/render.ts'
import { runDoctor } from '../doctor/run-doctor.ts'
import { noPositionals, parseFlags } from './args.ts'
import { EXIT, type CliContext, type Command } from './context.ts'
import { createStyle } from './style.ts'

const usage = `Usage: hookgate doctor [--config F] [--json]

Check this machine for what the configuration needs: Node.js, the config itself,
each agent CLI (found, its version, its credentials), the bubblewrap sandbox, the
state directory (owner, mode, free space, lock), network exposure, the clock and,
with a redis store, Redis. Run it as the user hookgate runs as, with the same
environment. It changes nothing and makes no outbound calls except to Redis.
The file is found as \`hookgate serve\` finds it: --config, else $HOOKGATE_CONFIG,
else ./hookgate.yaml, else the quick-start default.

Each line: ✓ ok, ! warning, ✗ problem (in a pipe or with NO_COLOR: [ok], [warn],
[fail]), [info] for what needs no action. Exit 1 when any check fails.

Options:
  --config F    the configuration to check
  --json        print the checks as a JSON array: {group, status, message, fix?, details?}
  -h, --help    show this help
`

async function run (args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseFlags(args, { config: { type: 'string' }, json: { type: 'boolean' } })
  if (parsed === null) {
    ctx.stdout.write(usage)
    return EXIT.ok
  }
  noPositionals(parsed.positionals)
  const checks = await runDoctor({ configFlag: parsed.values.config, env: ctx.env, cwd: ctx.cwd })
  if (parsed.values.json === true) {
    ctx.stdout.write(renderJson(checks))
  } else {
    const fancy = ctx.stdout.isTTY === true && (ctx.env.NO_COLOR === undefined || ctx.env.NO_COLOR === '')
    ctx.stdout.write(renderText(checks, { fancy, style: createStyle(ctx.stdout) }))
  }
  return hasFailure(checks) ? EXIT.failed : EXIT.ok
}

export const doctorCommand: Command = { name: 'doctor', usage, run }
