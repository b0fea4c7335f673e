// `hookgate serve`: starts the gateway and returns once it listens; the server keeps the process alive.
import { startServer } from '../server.ts'
import { integerFlag, noPositionals, parseFlags } from './args.ts'
import { EXIT, type CliContext, type Command } from './context.ts'
import { listenError } from './listen-error.ts'
import { startFailure } from './start-failure.ts'

const usage = `Usage: hookgate serve [--config F] [--host H] [--port P]

Start the gateway. The config is --config, else $HOOKGATE_CONFIG, else ./hookgate.yaml,
else the built-in quick-start config: one caller "local" on 127.0.0.1:8787 whose secret
is generated into ./.hookgate/local.secret (then \`hookgate send "hello"\` just works).

Options:
  --config F    configuration file (YAML)
  --host H      listen address, overriding server.host
  --port P      listen port, overriding server.port (0 picks a free one)
  -h, --help    show this help
`

async function run (args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseFlags(args, { config: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } })
  if (parsed === null) {
    ctx.stdout.write(usage)
    return EXIT.ok
  }
  const { values, positionals } = parsed
  noPositionals(positionals)
  const port = values.port === undefined ? undefined : integerFlag('port', values.port, 0, 65535)
  const flags = {
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(port !== undefined ? { port } : {})
  }
  try {
    await startServer(flags, ctx.env)
    return EXIT.ok
  } catch (err) {
    const listen = listenError(err, { port: '--port', host: '--host' })
    if (listen !== null) throw listen
    return startFailure(err, values.config, ctx)
  }
}

export const serveCommand: Command = { name: 'serve', usage, run }
