// Loads a published vector from the project's fixture copy (never from outside the repository).
import { readFileSync } from 'node:fs'

export interface SignatureVector {
  id: string
  secret: string
  body: string
  timestamp?: number
  headers: Record<string, string>
  expected_signature: string
}

const file = new URL('../fixtures/signature-vectors.json', import.meta.url)
const vectors = (JSON.parse(readFileSync(file, 'utf8')) as { vectors: SignatureVector[] }).vectors

export function loadVector (id: string): SignatureVector {
  const vector = vectors.find((v) => v.id === id)
  if (vector === undefined) throw new Error(`no vector ${id} in the fixture file`)
  return vector
}
