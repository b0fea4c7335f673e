// The `hookgate` command line: dispatches to one module per subcommand and turns the errors they
// expect into a message on stderr and an exit code. Stacks are printed only for real bugs.
import pkg from '../../package.json' with { type: 'json' }
import { CliError, UsageError } from './cli-error.ts'
import { EXIT, type CliContext, type Command } from './context.ts'

interface CommandEntry {
  readonly name: string
  /** One line for the command list. */
  readonly summary: string
  // Loaded on demand: `serve` and `openapi` pull in the whole server, which would add most of a
  // second to every `sign` or `--help` in a script.
  load (): Promise<Command>
}

const COMMANDS: readonly CommandEntry[] = [
  { name: 'serve', summary: 'start the gateway', load: async () => (await import('./serve.ts')).serveCommand },
  { name: 'send', summary: 'sign TEXT, send it to the gateway and stream the run', load: async () => (await import('./send.ts')).sendCommand },
  { name: 'sign', summary: 'print signature headers for a body (FILE or stdin)', load: async () => (await import('./sign.ts')).signCommand },
  { name: 'check', summary: 'validate a configuration file', load: async () => (await import('./check.ts')).checkCommand },
  { name: 'doctor', summary: 'check this machine for what the configuration needs', load: async () => (await import('./doctor.ts')).doctorCommand },
  { name: 'openapi', summary: 'print the OpenAPI document (JSON)', load: async () => (await import('./openapi.ts')).openapiCommand },
  { name: 'audit', summary: 'audit verify [FILE]: check the audit log\'s hash chain', load: async () => (await import('./audit.ts')).auditCommand },
  { name: 'worker', summary: 'take runs from the shared queue and run them here (scale-out)', load: async () => (await import('./worker.ts')).workerCommand }
]

function usage (): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return `Usage: hookgate <command> [options]

A signed-webhook gateway that runs an AI coding agent CLI.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`hookgate <command> --help\` for a command's options. Quick start:
  npm start                      # in one terminal: the local quick-start gateway
  hookgate send "hello"          # in another: sign, send and stream the answer
`
}

function processContext (env: NodeJS.ProcessEnv): CliContext {
  return { env, cwd: process.cwd(), stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }
}

/** Runs one command line; resolves to the exit code (for `serve`, once the server listens). */
export async function main (argv: readonly string[], env: NodeJS.ProcessEnv, ctx: CliContext = processContext(env)): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined) {
    ctx.stderr.write(usage())
    return EXIT.usage
  }
  if (name === '--help' || name === '-h') {
    ctx.stdout.write(usage())
    return EXIT.ok
  }
  if (name === '--version' || name === '-V') {
    ctx.stdout.write(`hookgate ${pkg.version}\n`)
    return EXIT.ok
  }
  if (name === 'help') {
    const topic = COMMANDS.find((c) => c.name === args[0])
    ctx.stdout.write(topic === undefined ? usage() : (await topic.load()).usage)
    return EXIT.ok
  }
  const entry = COMMANDS.find((c) => c.name === name)
  if (entry === undefined) {
    ctx.stderr.write(`hookgate: unknown command ${JSON.stringify(name)}\n\n${usage()}`)
    return EXIT.usage
  }
  const command = await entry.load()
  try {
    return await command.run(args, ctx)
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.stderr.write(`hookgate ${command.name}: ${err.message}\nRun \`hookgate ${command.name} --help\` for usage.\n`)
      return err.exitCode
    }
    if (err instanceof CliError) {
      ctx.stderr.write(`hookgate ${command.name}: ${err.message}\n`)
      return err.exitCode
    }
    ctx.stderr.write(`hookgate ${command.name}: unexpected error (please report it): ${(err as Error)?.stack ?? String(err)}\n`)
    return EXIT.failed
  }
}
