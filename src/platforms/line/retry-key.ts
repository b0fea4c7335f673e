// LINE's X-Line-Retry-Key must be a UUID and must be the same on every attempt of one push, or a
// push retried after a lost answer reaches the user twice. A name-based UUID (RFC 9562 version 5)
// of the delivery id gives exactly that without storing anything.
import { createHash } from 'node:crypto'

/** hookgate's own namespace for LINE retry keys (a fixed random UUID). */
export const RETRY_KEY_NAMESPACE = '5f0b8a8e-3c1d-4d4e-9a57-2b7f6c1e9d30'

export function uuidV5 (name: string, namespace: string = RETRY_KEY_NAMESPACE): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replaceAll('-', ''), 'hex')).update(name, 'utf8').digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The retry key of the push that starts at part `first` of delivery `deliveryId`. */
export function pushRetryKey (deliveryId: string, first: number): string {
  return uuidV5(`${deliveryId}#${first}`)
}

/**
 * The retry key of the push of permission question `pid` in delivery `deliveryId`: never the key of
 * a result's push, which LINE would refuse as a duplicate (409) and the result would be lost.
 */
export function permissionRetryKey (deliveryId: string, pid: string): string {
  return uuidV5(`${deliveryId}#permission#${pid}`)
}
