// `hookgate send`: signs TEXT as a caller would and POSTs it to /v1/hooks/{caller}; by default it
// streams the run to the terminal. With no flags it talks to the local quick-start gateway.
import { Agent, request } from 'undici'
import pkg from '../../package.json' with { type: 'json' }
import { signRequest } from '../verify/sign.ts'
import { oneOf, parseFlags } from './args.ts'
import { UsageError } from './cli-error.ts'
import { EXIT, type CliContext, type Command } from './context.ts'
import { connectionError } from './http.ts'
import { interrupted, jsonAnswer, streamAnswer, type Following, type Mode, type Target } from './send-answer.ts'
import { resolveSecret } from './secret.ts'
import { SCHEMES } from './sign.ts'
import { createStyle } from './style.ts'

export const DEFAULT_URL = 'http://127.0.0.1:8787'
const USER_AGENT = `hookgate/${pkg.version}`
// The gateway pings every 15 s while idle, so this much silence means the connection is dead.
const STREAM_IDLE_MS = 90_000

const usage = `Usage: hookgate send [options] TEXT...

Sign TEXT and send it to POST /v1/hooks/{caller}; by default stream the run: text as it
arrives, one line per tool call, then a status line. With no options it talks to the
local quick-start gateway (\`npm start\`), using ./.hookgate/local.secret.

Options:
  --url U             gateway base URL (default: $HOOKGATE_URL, else ${DEFAULT_URL})
  --caller ID         caller id from the gateway's config (default: $HOOKGATE_CALLER, else local)
  --secret S          the caller's secret (visible in ps and shell history; prefer the next two)
  --secret-file F     read the secret from F (surrounding whitespace ignored)
                      default: $HOOKGATE_SECRET, else ./.hookgate/local.secret
  --scheme NAME       hmac-sha256 (default) or standard-webhooks, as the caller is configured
  --user U            who is asking (used by /status, /cancel, /confirm)
  --thread T          conversation thread: runs in one thread continue one agent session
  --id K              idempotency key: sending the same K again never starts a second run
  --json              wait for the run and print the gateway's JSON answer
  --async             do not wait: print the accepted run (with its token) as JSON
  -v, --verbose       also show the run's status changes, session and finished tools
  -h, --help          show this help

Exit status: 0 the run succeeded (or a built-in such as /help answered); 1 the run failed,
timed out, was cancelled or interrupted, or needs /confirm; 2 usage; 3 the gateway refused
the request or could not be reached; 130 Ctrl-C (the run goes on; the cancel command is printed).
`

async function run (args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseFlags(args, {
    url: { type: 'string' },
    caller: { type: 'string' },
    secret: { type: 'string' },
    'secret-file': { type: 'string' },
    scheme: { type: 'string', default: 'hmac-sha256' },
    user: { type: 'string' },
    thread: { type: 'string' },
    id: { type: 'string' },
    json: { type: 'boolean', default: false },
    async: { type: 'boolean', default: false },
    verbose: { type: 'boolean', short: 'v', default: false }
  })
  if (parsed === null) {
    ctx.stdout.write(usage)
    return EXIT.ok
  }
  const { values, positionals } = parsed
  const text = positionals.join(' ')
  if (text.trim() === '') throw new UsageError('nothing to send: give the TEXT, e.g. hookgate send "list the files"')
  if (values.json && values.async) throw new UsageError('give either --json or --async, not both')
  const scheme = oneOf('scheme', values.scheme, SCHEMES)
  const caller = values.caller ?? nonEmptyEnv(ctx.env.HOOKGATE_CALLER) ?? 'local'
  const base = parseBase(values.url ?? nonEmptyEnv(ctx.env.HOOKGATE_URL) ?? DEFAULT_URL)
  const endpoint = new URL(`v1/hooks/${encodeURIComponent(caller)}`, base)
  const secret = resolveSecret({ secret: values.secret, secretFile: values['secret-file'] }, ctx)
  const body = Buffer.from(JSON.stringify({
    text,
    ...(values.user !== undefined ? { user: values.user } : {}),
    ...(values.thread !== undefined ? { thread: values.thread } : {}),
    ...(values.id !== undefined ? { id: values.id } : {})
  }))
  let signature: Record<string, string>
  try {
    signature = signRequest(scheme, secret, body)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const mode: Mode = values.json ? 'wait' : values.async ? 'async' : 'stream'

  // Ctrl-C stops following, not the run: we leave cleanly and say how to cancel it.
  const controller = new AbortController()
  const onInterrupt = (): void => controller.abort()
  process.on('SIGINT', onInterrupt)
  const dispatcher = new Agent()
  const target: Target = { base, userAgent: USER_AGENT, dispatcher, signal: controller.signal }
  const following: Following = { run: null, token: null, renderer: null }
  try {
    const res = await request(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...(mode === 'stream' ? { accept: 'text/event-stream' } : { accept: 'application/json' }),
        ...(mode === 'async' ? { prefer: 'respond-async' } : {}),
        ...signature
      },
      body,
      dispatcher,
      signal: controller.signal,
      // In wait mode the gateway holds the answer for up to limits.max_sync_wait, which is its to choose.
      headersTimeout: mode === 'wait' ? 0 : 30_000,
      bodyTimeout: mode === 'stream' ? STREAM_IDLE_MS : 0
    })
    if (res.headers['hookgate-replayed'] === 'true') {
      ctx.stderr.write(createStyle(ctx.stderr).dim('the gateway had this request already (same --id, or the same signed bytes within a second): showing the original run') + '\n')
    }
    const contentType = String(res.headers['content-type'] ?? '')
    if (res.statusCode < 300 && contentType.startsWith('text/event-stream')) return await streamAnswer(res, ctx, target, following, values.verbose)
    return await jsonAnswer(res, ctx, target, following, mode, values.verbose)
  } catch (err) {
    if (controller.signal.aborted) return interrupted(ctx, base, following)
    throw connectionError(err, base) ?? err
  } finally {
    process.off('SIGINT', onInterrupt)
    await dispatcher.destroy()
  }
}

function parseBase (value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(`--url must be an http:// or https:// URL, not ${JSON.stringify(value)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be an http:// or https:// URL, not ${JSON.stringify(value)}`)
  if (url.search !== '' || url.hash !== '') throw new UsageError('--url is the gateway\'s base URL, without ?query or #fragment')
  // A base path (a gateway behind a path prefix) keeps its segments when the hook path is joined on.
  if (!url.pathname.endsWith('/')) url.pathname += '/'
  return url
}

function nonEmptyEnv (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

export const sendCommand: Command = { name: 'send', usage, run }
