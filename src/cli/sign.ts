// `hookgate sign`: the signature headers for a body, one `Name: value` per line, for `curl -H`.
import { signRequest } from '../verify/sign.ts'
import { integerFlag, noPositionals, oneOf, parseFlags } from './args.ts'
import { UsageError } from './cli-error.ts'
import { EXIT, type CliContext, type Command } from './context.ts'
import { readInput } from './read-input.ts'
import { resolveSecret } from './secret.ts'

export const SCHEMES = ['hmac-sha256', 'standard-webhooks'] as const

const usage = `Usage: hookgate sign [options] [FILE]

Print the signature headers for the body in FILE (or stdin, or "-"), one "Name: value"
per line, ready for curl -H. The body is signed byte for byte as read.

Options:
  --secret S          the caller's secret (visible in ps and shell history; prefer the next two)
  --secret-file F     read the secret from F (surrounding whitespace ignored)
                      default: $HOOKGATE_SECRET, else ./.hookgate/local.secret
  --scheme NAME       hmac-sha256 (default) or standard-webhooks
  --timestamp T       unix seconds to sign with (default: now)
  --id ID             webhook-id for standard-webhooks (default: random msg_…)
  --max-age 0         hmac-sha256 for a caller with max_age 0: sign the body alone, no timestamp
  -h, --help          show this help

Example (curl reads header lines from a file with -H @FILE):
  hookgate sign body.json > headers.txt
  curl http://127.0.0.1:8787/v1/hooks/local -H @headers.txt \\
    -H 'Content-Type: application/json' --data-binary @body.json
`

async function run (args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseFlags(args, {
    secret: { type: 'string' },
    'secret-file': { type: 'string' },
    scheme: { type: 'string', default: 'hmac-sha256' },
    timestamp: { type: 'string' },
    id: { type: 'string' },
    'max-age': { type: 'string' }
  })
  if (parsed === null) {
    ctx.stdout.write(usage)
    return EXIT.ok
  }
  const { values, positionals } = parsed
  const scheme = oneOf('scheme', values.scheme, SCHEMES)
  if (positionals.length > 1) noPositionals(positionals.slice(1))
  const timestamp = values.timestamp === undefined ? undefined : integerFlag('timestamp', values.timestamp, 0, 999_999_999_999)
  const maxAge = values['max-age'] === undefined ? undefined : integerFlag('max-age', values['max-age'], 0, 999_999_999_999)
  if (maxAge === 0 && scheme !== 'hmac-sha256') throw new UsageError('--max-age 0 applies to the hmac-sha256 scheme only')
  if (maxAge === 0 && timestamp !== undefined) throw new UsageError('--max-age 0 signs without a timestamp; drop --timestamp')
  if (values.id !== undefined && scheme !== 'standard-webhooks') throw new UsageError('--id applies to the standard-webhooks scheme only')
  const secret = resolveSecret({ secret: values.secret, secretFile: values['secret-file'] }, ctx)
  const body = await readInput(positionals[0], ctx)

  let headers: Record<string, string>
  try {
    headers = signRequest(scheme, secret, body, {
      ...(timestamp !== undefined ? { timestamp } : {}),
      ...(values.id !== undefined ? { id: values.id } : {}),
      ...(maxAge !== undefined ? { maxAge } : {})
    })
  } catch (err) {
    // signRequest's messages name the bad option (never the secret).
    throw new UsageError((err as Error).message)
  }
  for (const [name, value] of Object.entries(headers)) ctx.stdout.write(`${name}: ${value}\n`)
  return EXIT.ok
}

export const signCommand: Command = { name: 'sign', usage, run }
