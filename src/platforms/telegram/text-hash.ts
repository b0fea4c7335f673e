// The live message remembers what it last showed as a short hash, not the text: delivery state is
// stored, and the agent's output does not belong in it. Telegram trims leading and trailing
// whitespace, so texts differing only there are the same message to it ("message is not modified").
import { createHash } from 'node:crypto'

export function textHash (text: string): string {
  return createHash('sha256').update(text.trim()).digest('base64url').slice(0, 16)
}
