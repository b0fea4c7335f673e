// The one flag every contender takes: `--port P` (0 picks a free port); they listen on loopback only.
import { parseArgs } from 'node:util'

export function listenPort (argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string', default: '0' } } })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port: ${values.port}`)
  return port
}

export const HOST = '127.0.0.1'
