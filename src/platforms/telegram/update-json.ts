// The update as JSON: strict UTF-8, and no keys that could reach an object's prototype.
import secureJson from 'secure-json-parse'

/** The parsed update, or undefined when the body is not JSON. */
export function readUpdateJson (raw: Buffer): unknown {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(raw)
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch {
    return undefined
  }
}
