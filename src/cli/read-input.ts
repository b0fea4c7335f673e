// Raw bytes of a FILE argument or of stdin, untouched: a signature covers every byte, so nothing is
// trimmed or re-encoded on the way.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { CliError } from './cli-error.ts'
import { EXIT, type CliContext } from './context.ts'

/** `-` or no file means stdin. */
export async function readInput (file: string | undefined, ctx: CliContext): Promise<Buffer> {
  if (file === undefined || file === '-') {
    if (ctx.stdin.isTTY === true) ctx.stderr.write('reading the body from stdin; end it with Ctrl-D\n')
    const chunks: Buffer[] = []
    for await (const chunk of ctx.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string))
    return Buffer.concat(chunks)
  }
  const path = resolve(ctx.cwd, file)
  try {
    return readFileSync(path)
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${describeFsError(err)}`, EXIT.usage)
  }
}

export function describeFsError (err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT': return 'no such file'
    case 'EACCES': return 'permission denied'
    case 'EISDIR': return 'it is a directory'
    default: return (err as Error).message
  }
}
