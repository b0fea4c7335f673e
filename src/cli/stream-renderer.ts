// Shows a run's event stream on the terminal: assistant text as it arrives on stdout,
// one line per tool call, agent log lines dimmed on stderr, and the final status line.
import type { Run } from '../schemas/run.ts'
import type { CliContext } from './context.ts'
import { isRun, statusLine } from './run-format.ts'
import { createStyle, oneLine, terminalSafe, type Style } from './style.ts'

export interface RenderOptions {
  verbose: boolean
}

type Data = Record<string, unknown>

const str = (value: unknown): string => typeof value === 'string' ? value : ''

export class StreamRenderer {
  readonly #ctx: CliContext
  readonly #verbose: boolean
  readonly #out: Style
  readonly #err: Style
  readonly #toolNames = new Map<string, string>()
  #atLineStart = true
  #sawText = false
  /** The latest run object seen (from `run`, `reset` or `result`). */
  run: Run | null = null
  /** The run's token, from the first `run` event of the stream that created the run. */
  token: string | null = null
  /** The final run object, once `result` arrived. */
  result: Run | null = null

  constructor (ctx: CliContext, options: RenderOptions) {
    this.#ctx = ctx
    this.#verbose = options.verbose
    this.#out = createStyle(ctx.stdout)
    this.#err = createStyle(ctx.stderr)
  }

  /** Handles one event; unknown events are ignored so newer gateways keep working. */
  handle (event: string, data: unknown): void {
    const d = (typeof data === 'object' && data !== null ? data : {}) as Data
    switch (event) {
      case 'run':
      case 'reset':
        if (isRun(data)) this.#onRun(data)
        break
      case 'session':
        if (this.#verbose) this.#note(`session ${oneLine(str(d.session))}${typeof d.model === 'string' ? ` (${oneLine(d.model)})` : ''}`)
        break
      case 'text':
        this.#text(str(d.text))
        break
      case 'tool_start': {
        const name = oneLine(str(d.name)) || 'tool'
        this.#toolNames.set(str(d.tool_id), name)
        const summary = oneLine(str(d.summary))
        this.#line(this.#out.dim(`  ${this.#out.toolMark} ${name}${summary === '' ? '' : `: ${summary}`}`))
        break
      }
      case 'tool_end': {
        const name = this.#toolNames.get(str(d.tool_id)) ?? 'tool'
        const summary = oneLine(str(d.summary))
        if (d.ok === false) this.#line(`  ${this.#out.red('✗')} ${name} failed${summary === '' ? '' : `: ${summary}`}`)
        else if (this.#verbose) this.#line(this.#out.dim(`  ✓ ${name}${summary === '' ? '' : `: ${summary}`}`))
        break
      }
      case 'permission':
        this.#line(`  ${this.#out.yellow('?')} ${oneLine(str(d.tool))} asks for permission: ${oneLine(str(d.summary))} (id ${oneLine(str(d.pid))}, until ${oneLine(str(d.expires_at))})`)
        break
      case 'log':
        this.#log(str(d.stream), str(d.line))
        break
      case 'result':
        if (isRun(data)) this.#onResult(data)
        break
      default:
        break
    }
  }

  /** Ends a half-written line, e.g. before a message on stderr. */
  endLine (): void {
    if (!this.#atLineStart) this.#write('\n')
  }

  #onRun (run: Run): void {
    if (this.token === null && typeof run.token === 'string') this.token = run.token
    if (this.#verbose && run.status !== this.run?.status) this.#note(`${run.id} ${run.status}`)
    this.run = run
  }

  #onResult (run: Run): void {
    this.run = run
    this.result = run
    // Agents that do not stream text still have their answer in the run object.
    if (!this.#sawText && run.output !== '') this.#text(run.output)
    this.#line(statusLine(run, this.#out))
  }

  #text (text: string): void {
    if (text === '') return
    this.#sawText = true
    this.#write(this.#out.tty ? terminalSafe(text) : text)
  }

  #log (stream: string, line: string): void {
    // On a terminal stdout and stderr share the screen: do not split the answer's current line.
    if (this.#out.tty && this.#err.tty) this.endLine()
    const prefix = stream === 'stdout' ? 'agent' : 'agent stderr'
    this.#ctx.stderr.write(this.#err.dim(`  [${prefix}] ${this.#err.tty ? terminalSafe(line) : line}`) + '\n')
  }

  #note (text: string): void {
    if (this.#out.tty && this.#err.tty) this.endLine()
    this.#ctx.stderr.write(this.#err.dim(text) + '\n')
  }

  #line (text: string): void {
    this.endLine()
    this.#write(text + '\n')
  }

  #write (text: string): void {
    if (text === '') return
    this.#ctx.stdout.write(text)
    this.#atLineStart = text.endsWith('\n')
  }
}
