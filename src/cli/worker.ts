// `hookgate worker`: takes runs from the shared queue and executes them on this machine; the
// process keeps running until a signal stops it.
import { startWorker } from '../worker.ts'
import { noPositionals, parseFlags } from './args.ts'
import { EXIT, type CliContext, type Command } from './context.ts'
import { startFailure } from './start-failure.ts'

const usage = `Usage: hookgate worker [--config F]

Take runs from the shared queue (store: redis://…, gateways with execution: workers) and run
the agent for each on this machine, at most limits.concurrency at once. Only outbound
connections: the worker may sit behind NAT. The config is --config, else $HOOKGATE_CONFIG,
else ./hookgate.yaml; its state_dir (audit log, agent state) must be this worker's own.

Options:
  --config F    configuration file (YAML)
  -h, --help    show this help
`

async function run (args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseFlags(args, { config: { type: 'string' } })
  if (parsed === null) {
    ctx.stdout.write(usage)
    return EXIT.ok
  }
  const { values, positionals } = parsed
  noPositionals(positionals)
  try {
    await startWorker(values.config !== undefined ? { config: values.config } : {}, ctx.env)
    return EXIT.ok
  } catch (err) {
    return startFailure(err, values.config, ctx)
  }
}

export const workerCommand: Command = { name: 'worker', usage, run }
