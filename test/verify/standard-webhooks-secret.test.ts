import { describe, it, expect } from 'vitest'
import { decodeStandardWebhooksSecret } from '../../src/verify/standard-webhooks-secret.ts'
import { loadVector } from './vectors.ts'

const vector = loadVector('standardwebhooks-sign-function') as ReturnType<typeof loadVector> & { key_hex: string }

describe('decodeStandardWebhooksSecret', () => {
  it('decodes the published secret to the published key bytes', () => {
    expect(decodeStandardWebhooksSecret(vector.secret)?.toString('hex')).toBe(vector.key_hex)
  })

  it('treats a secret without the whsec_ prefix as base64 too (as the official library does)', () => {
    expect(decodeStandardWebhooksSecret(vector.secret.slice('whsec_'.length))?.toString('hex')).toBe(vector.key_hex)
  })

  it('accepts padded and unpadded forms of the same key', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef01')
    const padded = key.toString('base64')
    expect(padded.endsWith('=')).toBe(true)
    expect(decodeStandardWebhooksSecret(`whsec_${padded}`)).toEqual(key)
    expect(decodeStandardWebhooksSecret(`whsec_${padded.replace(/=+$/, '')}`)).toEqual(key)
  })

  it.each([
    ['empty', ''],
    ['only the prefix', 'whsec_'],
    ['URL-safe alphabet', 'whsec_ab-_cdef'],
    ['a trailing newline', `${vector.secret}\n`],
    ['inner whitespace', 'whsec_MfKQ 9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ['a dangling character', 'whsec_MfKQ9'],
    ['padding in the middle', 'whsec_Mf==Q9r8'],
    ['too much padding', 'whsec_MfK==='],
    ['padding that does not complete a quantum', 'whsec_MfKQ9r='],
    ['a doubled prefix', 'whsec_whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ['the prefix anywhere but the start', 'MfKQwhsec_9r8GKYqrTwjUPD8ILPZIo2LaLaSw']
  ])('refuses %s', (_name, secret) => {
    expect(decodeStandardWebhooksSecret(secret)).toBeNull()
  })
})
