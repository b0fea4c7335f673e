// Verifiers are written not to throw, but a throw that escaped into the route would become a 500
// (and, in a careless handler, possibly a pass). Any unexpected exception is a rejection instead.
// The exception itself is dropped: its message could quote hostile header bytes.
import type { Verifier } from './verifier.ts'

export function failClosed (verifier: Verifier): Verifier {
  return {
    verify (input) {
      try {
        return verifier.verify(input)
      } catch {
        return { ok: false, reason: 'verifier_error' }
      }
    }
  }
}
