// Loads a published vector from the project's fixture copy (never from outside the repository).
// Vectors come in three shapes; each loader checks the fields its callers rely on, so a fixture
// edit that drops one fails loudly instead of testing `undefined`.
import { readFileSync } from 'node:fs'

/** A request signed over a raw body, with the headers the platform sent. */
export interface SignatureVector {
  id: string
  secret: string
  body: string
  timestamp?: number
  headers: Record<string, string>
  expected_signature: string
  /** Twilio: the URL the platform requested. */
  url?: string
  content_type?: string
  /** Schemes whose key is decoded from the secret: the decoded key. */
  key_hex?: string
  notes?: string
}

/** Twilio form webhook: the body is the parameters, form-encoded. */
export interface TwilioFormVector {
  id: string
  secret: string
  url: string
  params: Record<string, string>
  signed_string: string
  headers: Record<string, string>
  expected_signature: string
}

/** A bare Ed25519 key pair and signature (RFC 8032), with no request around it. */
export interface Ed25519Vector {
  id: string
  /** The 32-byte private seed, hex. */
  secret: string
  public_key_hex: string
  body: string
  expected_signature: string
}

type Raw = Record<string, unknown>

const file = new URL('../fixtures/signature-vectors.json', import.meta.url)
const vectors = (JSON.parse(readFileSync(file, 'utf8')) as { vectors: Raw[] }).vectors

function find (id: string, fields: Record<string, 'string' | 'object'>): Raw {
  const vector = vectors.find((v) => v.id === id)
  if (vector === undefined) throw new Error(`no vector ${id} in the fixture file`)
  for (const [name, type] of Object.entries(fields)) {
    if (typeof vector[name] !== type || vector[name] === null) throw new Error(`vector ${id} has no ${type} ${name}`)
  }
  return vector
}

export function loadVector (id: string): SignatureVector {
  return find(id, { secret: 'string', body: 'string', headers: 'object', expected_signature: 'string' }) as unknown as SignatureVector
}

export function loadTwilioFormVector (id: string): TwilioFormVector {
  return find(id, { secret: 'string', url: 'string', params: 'object', signed_string: 'string', headers: 'object', expected_signature: 'string' }) as unknown as TwilioFormVector
}

export function loadEd25519Vector (id: string): Ed25519Vector {
  return find(id, { secret: 'string', public_key_hex: 'string', body: 'string', expected_signature: 'string' }) as unknown as Ed25519Vector
}
