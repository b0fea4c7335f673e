// Errors a subcommand expects (bad flags, unreachable gateway, refusals): main prints the message,
// never a stack trace, and exits with the code carried here.
import { EXIT } from './context.ts'

export class CliError extends Error {
  readonly exitCode: number
  constructor (message: string, exitCode: number) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

/** Wrong or missing flags or arguments: main adds a pointer to the command's --help. */
export class UsageError extends CliError {
  constructor (message: string) {
    super(message, EXIT.usage)
    this.name = 'UsageError'
  }
}
