// Header names of the generic schemes (contract §4), shared by the verifiers and by sign.ts so the
// producer and the consumer cannot drift apart. Spelled as the contract documents them; lookups
// are case-insensitive (HTTP header names are).
export const HMAC_SHA256_HEADERS = {
  signature: 'X-Webhook-Signature',
  timestamp: 'X-Webhook-Timestamp'
} as const

export const STANDARD_WEBHOOKS_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature'
} as const
