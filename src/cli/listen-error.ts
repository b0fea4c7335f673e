// The errors of listen() a user can fix, said in their terms: for `serve`'s listener and a worker's
// metrics listener, each naming its own flags.
import { CliError } from './cli-error.ts'
import { EXIT } from './context.ts'

export function listenError (err: unknown, flags: { port: string, host: string }): CliError | null {
  const { code, address, port } = err as NodeJS.ErrnoException & { address?: string, port?: number }
  const where = address !== undefined ? `${address}:${port ?? ''}` : 'the configured address'
  switch (code) {
    case 'EADDRINUSE': return new CliError(`cannot listen on ${where}: the address is in use (another process running? pick another ${flags.port})`, EXIT.failed)
    case 'EACCES': return new CliError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges)`, EXIT.failed)
    case 'EADDRNOTAVAIL': return new CliError(`cannot listen on ${where}: no such address on this machine (check ${flags.host})`, EXIT.failed)
    default: return null
  }
}
