import { describe, it, expect } from 'vitest'
import { createHash, createHmac } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import fc from 'fast-check'
import twilio from 'twilio'
import { twilioVerifier } from '../../src/verify/twilio.ts'
import { twilioSignedParams } from '../../src/verify/twilio-params.ts'
import type { VerifyResult } from '../../src/verify/verifier.ts'
import { expectReject, flipBit } from './expect-reject.ts'
import { loadTwilioFormVector, loadVector } from './vectors.ts'

const TOKEN = 'twilio-auth-token-0123456789abcd'
const FORM = 'application/x-www-form-urlencoded'
const JSON_TYPE = 'application/json'
const URL_ = 'https://hooks.example.com/v1/hooks/sms?team=ops'
const PARAMS = { MessageSid: 'SM0123456789abcdef', From: '+15551230000', To: '+15559870000', Body: 'run tests ✓ & "quote" +1' }

interface Request { body: Buffer, url?: unknown, contentType?: string, signature?: string, headers?: IncomingHttpHeaders, secrets?: unknown[] }

function verify (req: Request): VerifyResult {
  const headers: IncomingHttpHeaders = { ...req.headers }
  if (req.contentType !== undefined) headers['content-type'] = req.contentType
  if (req.signature !== undefined) headers['x-twilio-signature'] = req.signature
  return twilioVerifier.verify({ rawBody: req.body, headers, url: req.url as string, secrets: (req.secrets ?? [TOKEN]) as string[], maxAge: 300, now: 1_700_000_000 })
}

function formBody (params: Record<string, string | string[]>): Buffer {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) for (const v of [value].flat()) search.append(name, v)
  return Buffer.from(search.toString())
}

/** A form request as Twilio sends it, signed by the official SDK over `signedUrl`. */
function formRequest (signedUrl = URL_, params: Record<string, string | string[]> = PARAMS, url = signedUrl): Request {
  return { body: formBody(params), url, contentType: FORM, signature: twilio.getExpectedTwilioSignature(TOKEN, signedUrl, params) }
}

/** A JSON request as Twilio sends it: the body's hash in the URL, the SDK's signature over that URL alone. */
function jsonRequest (body: string, base = URL_): Request & { url: string } {
  const url = `${base}${base.includes('?') ? '&' : '?'}bodySHA256=${twilio.getExpectedBodyHash(body)}`
  return { body: Buffer.from(body), url, contentType: JSON_TYPE, signature: twilio.getExpectedTwilioSignature(TOKEN, url, {}) }
}

describe('twilio published vectors', () => {
  const form = loadTwilioFormVector('twilio-form-docs-example')
  const formReq: Request = { body: formBody(form.params), url: form.url, contentType: FORM, signature: form.expected_signature, secrets: [form.secret] }

  it('verifies the Twilio docs form example', () => {
    expect(verify(formReq)).toEqual({ ok: true, replayKey: null })
  })

  it('signs the documented string: the URL, then every parameter as name + value in name order', () => {
    expect(form.url + twilioSignedParams(formReq.body)).toBe(form.signed_string)
  })

  it.each([0, 50, 159])('fails with bit %d of the signature flipped', (bit) => {
    const flipped = flipBit(Buffer.from(form.expected_signature, 'base64'), bit).toString('base64')
    expectReject(verify({ ...formReq, signature: flipped }), 'signature_mismatch')
  })

  it('fails with one parameter changed by one character', () => {
    expectReject(verify({ ...formReq, body: formBody({ ...form.params, Digits: '1235' }) }), 'signature_mismatch')
  })

  const json = loadVector('twilio-json-bodysha256')
  const jsonReq: Request = { body: Buffer.from(json.body), url: json.url, contentType: JSON_TYPE, signature: json.expected_signature, secrets: [json.secret] }

  it('verifies the twilio-node JSON body example', () => {
    expect(verify(jsonReq)).toEqual({ ok: true, replayKey: null })
  })

  it('fails the JSON example with one bit of the body flipped: the body no longer has the signed hash', () => {
    expectReject(verify({ ...jsonReq, body: flipBit(jsonReq.body, 3) }), 'body_hash_mismatch')
  })

  it.each([0, 80, 159])('fails the JSON example with bit %d of the signature flipped', (bit) => {
    const flipped = flipBit(Buffer.from(json.expected_signature, 'base64'), bit).toString('base64')
    expectReject(verify({ ...jsonReq, signature: flipped }), 'signature_mismatch')
  })
})

describe('twilio signed by the official twilio package', () => {
  it.each([
    ['an SMS', PARAMS],
    ['WhatsApp with media', { ...PARAMS, From: 'whatsapp:+15551230000', NumMedia: '1', MediaUrl0: 'https://api.twilio.com/media/ME1?x=1&y=2', ProfileName: 'Zoë' }],
    ['an empty Body', { ...PARAMS, Body: '' }],
    ['names that sort by code unit', { b: '1', B: '2', a_: '3', a: '4', Ä: '5' }]
  ])('verifies getExpectedTwilioSignature over %s, as validateRequest does', (_name, params) => {
    const req = formRequest(URL_, params)
    expect(twilio.validateRequest(TOKEN, req.signature as string, URL_, params)).toBe(true)
    expect(verify(req)).toEqual({ ok: true, replayKey: null })
  })

  it('signs a repeated name as twilio-node does: distinct values, sorted', () => {
    const params = { MediaUrl: ['https://b.example/2', 'https://a.example/1', 'https://b.example/2'], Body: 'hi' }
    const req = formRequest(URL_, params)
    expect(twilio.validateRequest(TOKEN, req.signature as string, URL_, params)).toBe(true)
    expect(verify(req).ok).toBe(true)
    // Only the distinct values are signed: one more copy of a value changes nothing, a new value does.
    expect(verify({ ...req, body: formBody({ ...params, MediaUrl: [...params.MediaUrl, 'https://a.example/1'] }) }).ok).toBe(true)
    expectReject(verify({ ...req, body: formBody({ ...params, MediaUrl: [...params.MediaUrl, 'https://c.example/3'] }) }), 'signature_mismatch')
  })

  it.each([
    ['a message', '{"MessageSid":"SM1","Body":"run tests ✓"}'],
    ['an empty object', '{}']
  ])('round-trips a JSON body (%s) with validateRequestWithBody', (_name, body) => {
    const req = jsonRequest(body)
    expect(twilio.validateRequestWithBody(TOKEN, req.signature as string, req.url, body)).toBe(true)
    expect(verify(req)).toEqual({ ok: true, replayKey: null })
    const tampered = body.replace('}', ',"x":1}')
    expect(twilio.validateRequestWithBody(TOKEN, req.signature as string, req.url, tampered)).toBe(false)
    expectReject(verify({ ...req, body: Buffer.from(tampered) }), 'body_hash_mismatch')
  })
})

describe('twilio URL variants (the ones twilio-node accepts, and no others)', () => {
  const params = PARAMS
  // [name, URL Twilio signed, URL we were addressed at, accepted]
  const cases: Array<[string, string, string, boolean]> = [
    ['the same URL', 'https://h.example/p?q=1', 'https://h.example/p?q=1', true],
    ['signed with :443, addressed without', 'https://h.example:443/p?q=1', 'https://h.example/p?q=1', true],
    ['signed without, addressed with :443', 'https://h.example/p?q=1', 'https://h.example:443/p?q=1', true],
    ['signed with :80, addressed without (http)', 'http://h.example:80/p', 'http://h.example/p', true],
    ['signed without, addressed with :80 (http)', 'http://h.example/p', 'http://h.example:80/p', true],
    // twilio-node removes any port, not only the default one.
    ['signed without a port, addressed at :8443', 'https://h.example/p', 'https://h.example:8443/p', true],
    ['an escaped apostrophe signed, a raw one received', 'https://h.example/p?name=O%27Brien', "https://h.example/p?name=O'Brien", true],
    ['a raw apostrophe signed and received', "https://h.example/p?name=O'Brien", "https://h.example/p?name=O'Brien", true],
    ['the legacy querystring encoding of a plus', 'https://h.example/p?a=b%20c', 'https://h.example/p?a=b+c', true],
    ['a lower-case host signed, an upper-case one received', 'https://h.example/p', 'https://H.EXAMPLE/p', true],
    // Only the received URL is normalised, never the signed one.
    ['an upper-case host signed, a lower-case one received', 'https://H.EXAMPLE/p', 'https://h.example/p', false],
    ['a different host', 'https://h.example/p?q=1', 'https://evil.example/p?q=1', false],
    ['a different subdomain', 'https://h.example/p', 'https://x.h.example/p', false],
    ['a different path', 'https://h.example/p?q=1', 'https://h.example/other?q=1', false],
    ['a path differing in case', 'https://h.example/p', 'https://h.example/P', false],
    ['a trailing slash added', 'https://h.example/p', 'https://h.example/p/', false],
    ['a different query value', 'https://h.example/p?q=1', 'https://h.example/p?q=2', false],
    ['the query reordered', 'https://h.example/p?a=1&b=2', 'https://h.example/p?b=2&a=1', false],
    ['the query dropped', 'https://h.example/p?q=1', 'https://h.example/p', false],
    ['a query added', 'https://h.example/p', 'https://h.example/p?q=1', false],
    ['http signed, https received', 'http://h.example/p', 'https://h.example/p', false],
    ['https :443 signed, http received', 'https://h.example:443/p', 'http://h.example/p', false],
    ['http with :443 signed, http received', 'http://h.example:443/p', 'http://h.example/p', false]
  ]

  it.each(cases)('%s', (_name, signedUrl, url, accepted) => {
    const req = formRequest(signedUrl, params, url)
    expect(twilio.validateRequest(TOKEN, req.signature as string, url, params)).toBe(accepted)
    const result = verify(req)
    if (accepted) expect(result.ok).toBe(true)
    else expectReject(result, 'signature_mismatch')
  })

  it('accepts the :443 variants for JSON bodies too', () => {
    const body = '{"MessageSid":"SM1"}'
    const signedReq = jsonRequest(body, 'https://h.example:443/p')
    const url = signedReq.url.replace(':443', '')
    expect(twilio.validateRequestWithBody(TOKEN, signedReq.signature as string, url, body)).toBe(true)
    expect(verify({ ...signedReq, url }).ok).toBe(true)
  })

  it('agrees with twilio-node validateRequest on generated URLs and signing variants', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~'!*@:-]{1,8}$/)
    const pair = fc.tuple(fc.stringMatching(/^[A-Za-z0-9_]{1,5}$/), fc.stringMatching(/^(?:[A-Za-z0-9'@:+~*]{0,6}|%2[0B7])$/)).map(([k, v]) => `${k}=${v}`)
    const url = fc.record({
      scheme: fc.constantFrom('http', 'https'),
      host: fc.constantFrom('h.example', 'H.Example', 'api.h.example'),
      port: fc.constantFrom('', ':443', ':80', ':8443'),
      path: fc.array(segment, { minLength: 1, maxLength: 3 }),
      query: fc.array(pair, { maxLength: 3 })
    }).map((u) => `${u.scheme}://${u.host}${u.port}/${u.path.join('/')}${u.query.length > 0 ? '?' + u.query.join('&') : ''}`)
    const variant = fc.constantFrom<[string, (u: string) => string]>(
      ['as received', (u) => u],
      ['WHATWG-normalised', (u) => new URL(u).toString()],
      ['port :443 added', (u) => u.replace(/^(https?:\/\/[^/:]+)(:\d+)?/, '$1:443')],
      ['port removed', (u) => u.replace(/^(https?:\/\/[^/:]+):\d+/, '$1')],
      ['apostrophes escaped', (u) => u.replaceAll("'", '%27')],
      ['plus signs escaped', (u) => u.replaceAll('+', '%20')],
      ['scheme swapped', (u) => u.startsWith('https:') ? 'http' + u.slice(5) : 'https' + u.slice(4)],
      ['last character dropped', (u) => u.slice(0, -1)],
      ['path upper-cased', (u) => u.replace(/(\/\/[^/]+)(\/[^?]*)/, (_m, a: string, b: string) => a + b.toUpperCase())]
    )
    let accepted = 0
    fc.assert(fc.property(url, variant, (addressed, [, transform]) => {
      const signedUrl = transform(addressed)
      const signature = twilio.getExpectedTwilioSignature(TOKEN, signedUrl, PARAMS)
      const sdk = twilio.validateRequest(TOKEN, signature, addressed, PARAMS)
      const ours = verify({ body: formBody(PARAMS), url: addressed, contentType: FORM, signature }).ok
      expect(ours).toBe(sdk)
      if (ours) accepted++
    }), { numRuns: 600 })
    expect(accepted).toBeGreaterThan(100)
  })
})

describe('twilio JSON bodies', () => {
  const body = '{"MessageSid":"SM1","Body":"hi"}'

  it('refuses a JSON body when the URL carries no bodySHA256', () => {
    const signature = twilio.getExpectedTwilioSignature(TOKEN, URL_, {})
    expectReject(verify({ body: Buffer.from(body), url: URL_, contentType: JSON_TYPE, signature }), 'missing_body_hash')
  })

  it.each([
    ['two bodySHA256 parameters', (h: string) => `bodySHA256=${h}&bodySHA256=${h}`],
    ['an upper-case hash', (h: string) => `bodySHA256=${h.toUpperCase()}`],
    ['a truncated hash', (h: string) => `bodySHA256=${h.slice(1)}`],
    ['a base64 hash', (h: string) => `bodySHA256=${encodeURIComponent(Buffer.from(h, 'hex').toString('base64'))}`]
  ])('refuses %s', (_name, query) => {
    const url = `${URL_}&${query(createHash('sha256').update(body).digest('hex'))}`
    const signature = twilio.getExpectedTwilioSignature(TOKEN, url, {})
    expectReject(verify({ body: Buffer.from(body), url, contentType: JSON_TYPE, signature }), 'malformed_body_hash')
  })

  it('refuses a captured JSON signature replayed with an empty form body', () => {
    const req = jsonRequest(body)
    // twilio-node's validateRequest alone (URL + no params) would accept this.
    expect(twilio.validateRequest(TOKEN, req.signature as string, req.url, {})).toBe(true)
    expectReject(verify({ ...req, body: Buffer.alloc(0), contentType: FORM }), 'body_hash_mismatch')
  })

  it('does not sign JSON bodies as form parameters', () => {
    const params = { MessageSid: 'SM1' }
    const signature = twilio.getExpectedTwilioSignature(TOKEN, URL_, params)
    expectReject(verify({ body: formBody(params), url: URL_, contentType: JSON_TYPE, signature }), 'missing_body_hash')
  })
})

describe('twilio request shape', () => {
  it.each([
    ['with a charset', `${FORM}; charset=UTF-8`, true],
    ['in upper case', 'Application/X-WWW-Form-Urlencoded', true],
    ['missing', undefined, false],
    ['text/plain', 'text/plain', false],
    ['multipart', 'multipart/form-data; boundary=x', false],
    ['a prefix of the form type', 'application/x-www-form', false]
  ])('content type %s → %s', (_name, contentType, accepted) => {
    const result = verify({ ...formRequest(), contentType })
    if (accepted) expect(result.ok).toBe(true)
    else expectReject(result, 'unsupported_content_type')
  })

  it('rejects a duplicated content type', () => {
    expectReject(verify({ ...formRequest(), contentType: undefined, headers: { 'content-type': [FORM, FORM] } as unknown as IncomingHttpHeaders }), 'duplicate_header')
  })

  it.each([
    ['absent', undefined],
    ['not a string', new URL(URL_)]
  ])('fails closed when the URL is %s', (_name, url) => {
    expectReject(verify({ ...formRequest(), url }), 'invalid_verifier_input')
  })

  it.each([
    ['without a scheme', 'hooks.example.com/v1/hooks/sms?team=ops'],
    ['a relative path', '/v1/hooks/sms?team=ops'],
    ['a host the URL parser refuses', 'https://hooks example.com/v1/hooks/sms']
  ])('refuses a URL %s', (_name, url) => {
    const req = formRequest(url as string)
    expectReject(verify({ ...req, url }), 'malformed_url')
  })
})

describe('twilio signature header', () => {
  const req = formRequest()
  const good = req.signature as string

  it.each([
    ['empty', '', 'missing_signature'],
    ['no padding', good.slice(0, -1), 'malformed_signature'],
    ['hex', Buffer.from(good, 'base64').toString('hex'), 'malformed_signature'],
    ['an HMAC-SHA256 signature', createHmac('sha256', TOKEN).update(URL_).digest('base64'), 'malformed_signature'],
    ['a URL-safe alphabet character', '-' + good.slice(1), 'malformed_signature'],
    ['a leading space', ` ${good}`, 'malformed_signature'],
    ['the Node-joined duplicate', `${good}, ${good}`, 'malformed_signature'],
    ['over the length cap', good.padEnd(257, 'A'), 'header_too_long']
  ])('rejects %s', (_name, signature, reason) => {
    expectReject(verify({ ...req, signature }), reason)
  })

  it('rejects a missing or duplicated header', () => {
    expectReject(verify({ ...req, signature: undefined }), 'missing_signature')
    expectReject(verify({ ...req, signature: undefined, headers: { 'x-twilio-signature': [good, good] } }), 'duplicate_header')
  })
})

describe('twilio auth tokens and rotation', () => {
  const OLD = 'old-twilio-auth-token-012345678'

  it.each([
    ['current first', [TOKEN, OLD]],
    ['current second', [OLD, TOKEN]],
    ['after unusable entries', ['', {}, TOKEN]]
  ])('accepts when any token verifies (%s)', (_name, secrets) => {
    expect(verify({ ...formRequest(), secrets }).ok).toBe(true)
    expect(verify({ ...jsonRequest('{}'), secrets }).ok).toBe(true)
  })

  it('rejects a signature made with another token', () => {
    expectReject(verify({ ...formRequest(), secrets: [OLD] }), 'signature_mismatch')
  })

  it('never verifies without a usable token', () => {
    expectReject(verify({ ...formRequest(), secrets: [''] }), 'no_usable_secret')
    expectReject(verify({ ...formRequest(), secrets: [] }), 'no_usable_secret')
  })
})
