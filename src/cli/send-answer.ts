// How `hookgate send` shows the gateway's answer: the live event stream, a JSON answer (a built-in,
// a confirmation request, a run), or what to do after Ctrl-C.
import type { Dispatcher } from 'undici'
import type { Run } from '../schemas/run.ts'
import { CliError } from './cli-error.ts'
import { EXIT, type CliContext } from './context.ts'
import { connectionProblem, readJson, refusal } from './http.ts'
import { cancelHint, isFinal, isNotice, isRun } from './run-format.ts'
import { readSse } from './sse-reader.ts'
import { StreamRenderer } from './stream-renderer.ts'
import { createStyle } from './style.ts'
import { waitForRun } from './wait-run.ts'

export type Mode = 'stream' | 'wait' | 'async'

/** Where follow-up requests (reading the run) go, and how. */
export interface Target {
  base: URL
  userAgent: string
  dispatcher: Dispatcher
  signal: AbortSignal
}

/** What we know about the run so far, for the message printed on Ctrl-C. */
export interface Following {
  run: Run | null
  token: string | null
  renderer: StreamRenderer | null
}

export async function streamAnswer (res: Dispatcher.ResponseData, ctx: CliContext, target: Target, following: Following, verbose: boolean): Promise<number> {
  const renderer = new StreamRenderer(ctx, { verbose })
  following.renderer = renderer
  let broken: string | null = null
  try {
    for await (const event of readSse(res.body)) {
      let data: unknown
      try {
        data = JSON.parse(event.data)
      } catch {
        continue
      }
      renderer.handle(event.event, data)
      following.run = renderer.run
      following.token = renderer.token
      if (renderer.result !== null) break
    }
  } catch (err) {
    broken = target.signal.aborted ? null : connectionProblem(err)
    if (broken === null) throw err
  }
  if (renderer.result === null) {
    renderer.endLine()
    const run = renderer.run
    const follow = run === null
      ? ''
      : `\n  the run may still be going; follow it: curl -N '${new URL(run.links.events, target.base).href}' -H 'Authorization: Bearer ${renderer.token ?? '<run token>'}'`
    throw new CliError(`the event stream ended before the run finished${broken === null ? '' : ` (${broken})`}${follow}`, EXIT.refused)
  }
  return renderer.result.status === 'succeeded' ? EXIT.ok : EXIT.failed
}

export async function jsonAnswer (res: Dispatcher.ResponseData, ctx: CliContext, target: Target, following: Following, mode: Mode, verbose: boolean): Promise<number> {
  const { value, text } = await readJson(res.body)
  if (res.statusCode >= 400) throw refusal(res.statusCode, res.headers, value, text)
  const print = (json: unknown): void => { ctx.stdout.write(JSON.stringify(json, null, 2) + '\n') }

  if (isNotice(value)) {
    if (mode === 'stream') {
      ctx.stdout.write(value.message.endsWith('\n') ? value.message : value.message + '\n')
      if (value.demo === true) ctx.stderr.write(createStyle(ctx.stderr).dim('(the gateway runs the DEMO agent, not a real one)') + '\n')
    } else {
      print(value)
    }
    // A confirmation request means nothing ran yet: not a success a script should go on from.
    return value.kind === 'confirm_required' ? EXIT.failed : EXIT.ok
  }
  if (!isRun(value)) {
    throw new CliError(`unexpected answer from the gateway (HTTP ${res.statusCode}): ${text.slice(0, 200)}`, EXIT.refused)
  }
  following.run = value
  following.token = typeof value.token === 'string' ? value.token : null
  if (mode === 'async') {
    print(value)
    return isFinal(value) && value.status !== 'succeeded' ? EXIT.failed : EXIT.ok
  }

  let final = value
  if (!isFinal(value)) {
    if (following.token === null) {
      if (mode === 'wait') print(value)
      ctx.stderr.write(`${value.id} is still ${value.status}; this answer carries no token to follow it with\n`)
      return EXIT.failed
    }
    final = await waitForRun(value, { base: target.base, token: following.token, dispatcher: target.dispatcher, signal: target.signal, userAgent: target.userAgent })
    following.run = final
  }
  if (mode === 'wait') {
    print(final)
  } else {
    // The gateway answered JSON although we asked for a stream (a proxy in between): show it the same way.
    const renderer = new StreamRenderer(ctx, { verbose })
    renderer.handle('result', final)
  }
  return final.status === 'succeeded' ? EXIT.ok : EXIT.failed
}

export function interrupted (ctx: CliContext, base: URL, following: Following): number {
  following.renderer?.endLine()
  const { run, token } = following
  if (run === null) {
    ctx.stderr.write('interrupted before the gateway named the run; if it accepted the request the run goes on (send "/status" to see it)\n')
  } else if (isFinal(run)) {
    ctx.stderr.write(`interrupted; ${run.id} had already ${run.status}\n`)
  } else {
    ctx.stderr.write(`stopped following ${run.id}; it keeps running on the gateway. To cancel it:\n  ${cancelHint(base, run, token)}\n`)
  }
  return EXIT.interrupted
}
