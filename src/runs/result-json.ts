// The JSON of a final run whose answer is long, made in steps. A run's `result` event and its stored
// row carry the whole answer (up to `agent.max_output_bytes`), and serialising a 10 MiB answer in one
// go held the event loop for 35 ms, during which no other run's events reached their readers. The
// answer's JSON is made a slice at a time, with the event loop turning between slices, before the
// run is finished; the run's JSON is then put together around it at once.
import type { Run } from '../schemas/run.ts'
import { keepJson } from './event-json.ts'

/** Characters of the answer serialised per step. */
const STEP_CHARS = 256 * 1024

/** The answer whose JSON was made ahead, and that JSON. */
export interface OutputJson {
  output: string
  json: string
}

/**
 * `JSON.stringify(output)`, a slice at a time with `pause` between slices; null for an answer short
 * enough to serialise in one go. Slices never end between the two halves of a surrogate pair, which
 * alone would be escaped (`\udXXX`), so the pieces join into exactly the JSON of the whole.
 */
export async function outputJsonInSteps (output: string, pause: () => Promise<unknown>): Promise<OutputJson | null> {
  if (output.length <= STEP_CHARS) return null
  let json = '"'
  for (let from = 0; from < output.length;) {
    let to = Math.min(output.length, from + STEP_CHARS)
    if (to < output.length && isHighSurrogate(output.charCodeAt(to - 1))) to--
    json += JSON.stringify(output.slice(from, to)).slice(1, -1)
    from = to
    if (from < output.length) await pause()
  }
  return { output, json: json + '"' }
}

/**
 * Gives `run` (final, never to be changed) its JSON, with the answer's JSON made ahead spliced in:
 * exactly `JSON.stringify(run)`. Nothing is done when the answer is not the one `ahead` was made for.
 */
export function keepRunJson (run: Run, ahead: OutputJson): void {
  if (run.output !== ahead.output) return
  const entries = Object.entries(run)
  const at = entries.findIndex(([key]) => key === 'output')
  const before = JSON.stringify(Object.fromEntries(entries.slice(0, at)))
  const after = JSON.stringify(Object.fromEntries(entries.slice(at + 1)))
  const head = before === '{}' ? '{' : `${before.slice(0, -1)},`
  const tail = after === '{}' ? '}' : `,${after.slice(1)}`
  // Joined into one flat string now: kept as a concatenation, it was copied into a flat one by each
  // of its readers (the store's write, every answer to GET), 10 MiB each time for a long answer.
  keepJson(run, [head, '"output":', ahead.json, tail].join(''))
}

function isHighSurrogate (code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}
