// Failure reasons are audit-log vocabulary: stable, short, and never carrying request material
// (no header values, no secrets), so an audit line can be written without redaction.
import type { VerifyResult } from './verifier.ts'

export const VERIFY_REASONS = [
  'missing_signature',
  'missing_timestamp',
  'missing_id',
  'malformed_signature',
  'malformed_timestamp',
  'malformed_id',
  'malformed_header',
  'duplicate_header',
  'header_too_long',
  'too_many_signatures',
  'no_supported_signature',
  'timestamp_out_of_window',
  // twilio: the URL is signed, the content type decides what else is, and JSON bodies are bound
  // through a SHA-256 carried in the URL.
  'malformed_url',
  'unsupported_content_type',
  'missing_body_hash',
  'malformed_body_hash',
  'body_hash_mismatch',
  'no_usable_secret',
  'signature_mismatch',
  'invalid_verifier_input',
  'verifier_error'
] as const
export type VerifyReason = (typeof VERIFY_REASONS)[number]

export function fail (reason: VerifyReason): VerifyResult {
  return { ok: false, reason }
}
