// Scrubs a run's agent events on their way in. Each event is scrubbed whole; on top of that, a text
// or log event that ends with the beginning of a secret is held back until the next event, because
// an agent that prints a secret across two lines (or a CLI that streams it in two deltas) puts each
// half in its own event, and no single event then contains the secret. When the next event of the
// same kind completes the secret, the two are scrubbed together; when it does not, the held event
// goes out as it is (scrubbed). An event is never held longer than `holdMs`, so a live view lags by
// at most that much: one that waited that long, or was followed by another kind of event or by the
// end of the run, goes out with its suspected beginning of a secret redacted, and the next event of
// its kind with a suspected end of a secret at its start redacted. Best effort: this fails closed
// on a few characters that merely look like a piece of a secret, and misses the middle of a secret
// cut into three or more pieces that arrive further apart than `holdMs`.
import type { AgentEvent } from '../runner/agent-event.ts'
import type { SecretScrubber } from './secret-scrubber.ts'

/** tool_start and tool_end summaries are capped at 200 characters (src/schemas/run.ts); "[redacted]" may be longer than what it replaced. */
const SUMMARY_MAX = 200
const DEFAULT_HOLD_MS = 250

type Fragment = Extract<AgentEvent, { type: 'text' | 'log' }>

export class EventScrubber {
  readonly #scrubber: SecretScrubber
  readonly #emit: (event: AgentEvent) => void
  readonly #holdMs: number
  #held: Fragment | null = null
  #timer: NodeJS.Timeout | null = null
  /** The kind of the last fragment that went out cut: the next one of that kind may start with the rest. */
  #cut: Fragment | null = null

  constructor (scrubber: SecretScrubber, emit: (event: AgentEvent) => void, holdMs = DEFAULT_HOLD_MS) {
    this.#scrubber = scrubber
    this.#emit = emit
    this.#holdMs = holdMs
  }

  push (event: AgentEvent): void {
    if (event.type === 'text' || event.type === 'log') {
      this.#fragment(event)
      return
    }
    this.#release(true)
    this.#emit(this.#scrubbed(event))
  }

  /** Sends what is held, as a possibly cut secret; call it before the run's outcome is returned. */
  flush (): void {
    this.#release(true)
  }

  #release (cut: boolean): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    const held = this.#held
    this.#held = null
    if (held === null) return
    if (cut) this.#cut = held
    this.#send(held, cut ? this.#scrubber.scrubCutEnd(textOf(held)) : this.#scrubber.scrub(textOf(held)))
  }

  #fragment (event: Fragment): void {
    let current = event
    if (this.#cut !== null && sameKind(this.#cut, event)) {
      this.#cut = null
      current = withText(event, this.#scrubber.scrubCutStart(textOf(event)))
    }
    const held = this.#held
    if (held !== null && sameKind(held, current)) {
      const joined = withText(current, join(held, current))
      // Joined when that finds a secret neither half holds alone, or when the beginning of a secret
      // at the end reaches back into the held event (a secret cut into three or more pieces).
      const completes = this.#scrubber.scrub(textOf(joined)) !== join(this.#scrubbedCopy(held), this.#scrubbedCopy(current))
      if (completes || this.#scrubber.cutAtEnd(textOf(joined)) > contentLength(current)) {
        if (this.#timer !== null) clearTimeout(this.#timer)
        this.#timer = null
        this.#held = null
        current = joined
      } else {
        this.#release(false)
      }
    }
    if (this.#held !== null) this.#release(true)
    if (this.#scrubber.cutAtEnd(textOf(current)) > 0) {
      this.#held = current
      this.#timer = setTimeout(() => this.#release(true), this.#holdMs)
      this.#timer.unref()
      return
    }
    this.#send(current, this.#scrubber.scrub(textOf(current)))
  }

  /** A log event carries one line, so joined lines go out again as one event per line. */
  #send (event: Fragment, clean: string): void {
    if (event.type === 'text') {
      this.#emit({ type: 'text', data: { ...event.data, text: clean } })
      return
    }
    for (const line of clean.split(/\r?\n/)) this.#emit({ type: 'log', data: { ...event.data, line } })
  }

  #scrubbedCopy (event: Fragment): Fragment {
    return withText(event, this.#scrubber.scrub(textOf(event)))
  }

  #scrubbed (event: AgentEvent): AgentEvent {
    const data = this.#scrubber.scrubDeep(event.data) as Record<string, unknown>
    if (typeof data.summary === 'string' && data.summary.length > SUMMARY_MAX) data.summary = data.summary.slice(0, SUMMARY_MAX)
    return { ...event, data } as AgentEvent
  }
}

function textOf (event: Fragment): string {
  return event.type === 'text' ? event.data.text : event.data.line
}

function withText (event: Fragment, text: string): Fragment {
  return event.type === 'text' ? { type: 'text', data: { ...event.data, text } } : { type: 'log', data: { ...event.data, line: text } }
}

/** Characters of the event's text, line breaks not counted (as cutAtEnd counts them). */
function contentLength (event: Fragment): number {
  return textOf(event).replace(/[\r\n]+/g, '').length
}

function sameKind (a: Fragment, b: Fragment): boolean {
  return a.type === 'text' ? b.type === 'text' : b.type === 'log' && a.data.stream === b.data.stream
}

/** Text events concatenate as they are (each carries its own newline); log lines are separate lines. */
function join (first: Fragment, second: Fragment): string {
  return first.type === 'text' ? textOf(first) + textOf(second) : `${textOf(first)}\n${textOf(second)}`
}
