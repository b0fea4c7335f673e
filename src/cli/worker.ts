// `hookgate worker`: takes runs from the shared queue and executes them on this machine; the
// process keeps running until a signal stops it.
import { startWorker } from '../worker.ts'
import { integerFlag, noPositionals, parseFlags } from './args.ts'
import { UsageError } from './cli-error.ts'
import { EXIT, type CliContext, type Command } from './context.ts'
import { listenError } from './listen-error.ts'
import { startFailure } from './start-failure.ts'

const usage = `Usage: hookgate worker [--config F] [--metrics-port P [--metrics-host H]]

Take runs from the shared queue (store: redis://…, gateways with execution: workers) and run
the agent for each on this machine, at most limits.concurrency at once. Only outbound
connections: the worker may sit behind NAT. The config is --config, else $HOOKGATE_CONFIG,
else ./hookgate.yaml; its state_dir (audit log, agent state) must be this worker's own.

Options:
  --config F          configuration file (YAML)
  --metrics-port P    serve GET /metrics on this port (0 picks a free one), with the config's
                      metrics.enabled and metrics.token; off by default
  --metrics-host H    address for it (default 127.0.0.1)
  -h, --help          show this help
`

async function run (args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseFlags(args, { config: { type: 'string' }, 'metrics-port': { type: 'string' }, 'metrics-host': { type: 'string' } })
  if (parsed === null) {
    ctx.stdout.write(usage)
    return EXIT.ok
  }
  const { values, positionals } = parsed
  noPositionals(positionals)
  const metricsPort = values['metrics-port'] === undefined ? undefined : integerFlag('metrics-port', values['metrics-port'], 0, 65535)
  if (metricsPort === undefined && values['metrics-host'] !== undefined) throw new UsageError('--metrics-host needs --metrics-port')
  const metrics = metricsPort === undefined ? {} : { metrics: { host: values['metrics-host'] ?? '127.0.0.1', port: metricsPort } }
  try {
    await startWorker({ ...(values.config !== undefined ? { config: values.config } : {}), ...metrics }, ctx.env)
    return EXIT.ok
  } catch (err) {
    const listen = listenError(err, { port: '--metrics-port', host: '--metrics-host' })
    if (listen !== null) throw listen
    return startFailure(err, values.config, ctx)
  }
}

export const workerCommand: Command = { name: 'worker', usage, run }
