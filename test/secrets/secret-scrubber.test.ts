// The scrubber against each encoding it promises to catch, the base64 alignments, secrets cut by
// line breaks, what it must leave alone, and its speed on a megabyte of output.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { REDACTED, SecretScrubber } from '../../src/secrets/secret-scrubber.ts'

const SECRET = 'sk-live-' + 'Qm9vcGJlZXAtMTIzNDU2Nzg5MA'
/** Needs escaping in JSON, URLs and regular expressions, and is not ASCII. */
const AWKWARD = 'pa$$ "wörd"\\+/=&?*(x)|[y]{z}.^ 🔑'
const scrubber = new SecretScrubber([SECRET, AWKWARD])

const encodings: Array<[string, (s: string) => string]> = [
  ['raw', (s) => s],
  ['base64', (s) => Buffer.from(s).toString('base64')],
  ['base64url', (s) => Buffer.from(s).toString('base64url')],
  ['hex', (s) => Buffer.from(s).toString('hex')],
  ['HEX', (s) => Buffer.from(s).toString('hex').toUpperCase()],
  ['URL-encoded', (s) => encodeURIComponent(s)],
  ['form-encoded', (s) => new URLSearchParams({ v: s }).toString().slice(2)],
  ['JSON string', (s) => JSON.stringify(s).slice(1, -1)],
  ['JSON, ASCII only', (s) => JSON.stringify(s).slice(1, -1).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)]
]

describe('SecretScrubber', () => {
  for (const [name, encode] of encodings) {
    it(`redacts a secret written ${name}, wherever it is in the text`, () => {
      for (const secret of [SECRET, AWKWARD]) {
        const encoded = encode(secret)
        const out = scrubber.scrub(`before ${encoded} middle ${encoded}after`)
        expect(out).not.toContain(encoded)
        expect(out.split(REDACTED).length - 1).toBe(2)
        expect(out.startsWith('before ')).toBe(true)
      }
    })
  }

  it('redacts the secret inside a longer base64 blob at each of the three alignments', () => {
    for (const lead of [0, 1, 2, 3, 4, 5]) {
      for (const trail of [0, 1, 2]) {
        const bytes = Buffer.concat([randomBytes(lead), Buffer.from(SECRET), randomBytes(trail)])
        for (const blob of [bytes.toString('base64'), bytes.toString('base64url')]) {
          const out = scrubber.scrub(`data:${blob};`)
          expect(out, `lead ${lead}, trail ${trail}`).toContain(REDACTED)
          // What stays visible is at most one character on each side of the redaction.
          const left = out.slice('data:'.length, out.indexOf(REDACTED))
          expect(left.length).toBeLessThanOrEqual(Math.ceil((lead * 8) / 6))
        }
      }
    }
  })

  it('redacts a secret cut by a line break, and keeps the line count', () => {
    for (const cut of [1, 5, SECRET.length - 1]) {
      for (const br of ['\n', '\r\n']) {
        const text = `one\nkey: ${SECRET.slice(0, cut)}${br}${SECRET.slice(cut)} end\nthree`
        const out = scrubber.scrub(text)
        expect(out).toBe(`one\nkey: ${REDACTED}${br} end\nthree`)
      }
    }
  })

  it('redacts base64 wrapped over several lines', () => {
    const long = 'x'.repeat(40) + SECRET + 'y'.repeat(40)
    const wrapped = Buffer.from(long).toString('base64').replace(/.{20}/g, '$&\n')
    expect(scrubber.scrub(wrapped)).toContain(REDACTED)
  })

  it('leaves text without secrets exactly as it is, line breaks included', () => {
    const text = 'line one\r\nline two\n\nsk-live- is a prefix, not the secret\n'
    expect(scrubber.scrub(text)).toBe(text)
  })

  it('ignores values shorter than 8 bytes, which would redact ordinary words', () => {
    const short = new SecretScrubber(['admin', 'hunter2', '12345678'])
    expect(short.size).toBe(1)
    expect(short.scrub('admin hunter2 12345678')).toBe(`admin hunter2 ${REDACTED}`)
  })

  it('scrubs every string of a JSON-like value, keys and non-strings untouched', () => {
    const value = { cmd: `curl -H "Bearer ${SECRET}"`, list: [1, SECRET, null], nested: { ok: true } }
    expect(scrubber.scrubDeep(value)).toEqual({ cmd: `curl -H "Bearer ${REDACTED}"`, list: [1, REDACTED, null], nested: { ok: true } })
    expect(value.list[1]).toBe(SECRET)
  })

  it('knows when a text ends inside a secret, and redacts that beginning when asked', () => {
    expect(scrubber.cutAtEnd(`token ${SECRET.slice(0, 12)}\n`)).toBe(12)
    expect(scrubber.cutAtEnd(`token ${SECRET.slice(0, 3)}`)).toBe(0)
    expect(scrubber.cutAtEnd('nothing here')).toBe(0)
    expect(scrubber.cutAtEnd(`${SECRET.slice(0, 5)}\n${SECRET.slice(5, 12)}\n`)).toBe(12)
    expect(scrubber.scrubCutEnd(`token ${SECRET.slice(0, 12)}\n`)).toBe(`token ${REDACTED}\n`)
    const b64 = Buffer.from(SECRET).toString('base64')
    expect(scrubber.scrubCutEnd(`blob ${b64.slice(0, 9)}`)).toBe(`blob ${REDACTED}`)
  })

  it('redacts the end of a secret at the start of a line when asked (a window cut into stderr)', () => {
    const b64 = Buffer.from(SECRET).toString('base64')
    const error = `agent failed; stderr (last 2048 bytes):\n${SECRET.slice(9)} was rejected\n${b64.slice(20)}\nplain line`
    expect(scrubber.scrubCutLineStarts(error)).toBe(`agent failed; stderr (last 2048 bytes):\n${REDACTED} was rejected\n${REDACTED}\nplain line`)
    expect(scrubber.scrubCutLineStarts('abc\ndef')).toBe('abc\ndef')
    expect(scrubber.scrub(`${SECRET.slice(9)} was rejected`)).toBe(`${SECRET.slice(9)} was rejected`)
  })

  it('does nothing without secrets', () => {
    const none = new SecretScrubber([])
    expect(none.size).toBe(0)
    expect(none.scrub('a\nb')).toBe('a\nb')
    expect(none.cutAtEnd('anything')).toBe(0)
  })

  it('scrubs 1 MB of output with 20 secrets well under 50 ms', () => {
    const secrets = Array.from({ length: 20 }, () => randomBytes(24).toString('base64'))
    const many = new SecretScrubber(secrets)
    // Base64-looking filler is the hard case: almost every position could start a match.
    const filler = randomBytes(800_000).toString('base64')
    const chunk = Math.floor(filler.length / 20)
    // Lines of 76 characters, like wrapped base64 or a terminal's worth of log.
    const wrapped = (i: number): string => filler.slice(i * chunk, (i + 1) * chunk).replace(/.{76}/g, '$&\n')
    const text = secrets.map((s, i) => `${wrapped(i)}\n${s} ${Buffer.from(s).toString('hex')}\n`).join('').slice(0, 1 << 20)
    const flat = text.replaceAll('\n', ' ')
    // The fastest of 7 is the scrubber's own cost; the median also shows what a busy machine adds.
    const time = (input: string): { best: number, median: number, out: string } => {
      const times: number[] = []
      let out = ''
      for (let i = 0; i < 7; i++) {
        const started = performance.now()
        out = many.scrub(input)
        times.push(performance.now() - started)
      }
      times.sort((a, b) => a - b)
      return { best: times[0] as number, median: times[3] as number, out }
    }
    const single = time(flat)
    const lines = time(text)
    console.log(`scrub 1 MiB, 20 secrets: one line ${single.best.toFixed(1)} ms (median ${single.median.toFixed(1)}), ` +
      `${text.split('\n').length} lines ${lines.best.toFixed(1)} ms (median ${lines.median.toFixed(1)})`)
    for (const { out } of [single, lines]) {
      for (const s of secrets) expect(out.includes(s)).toBe(false)
      expect(out.split(REDACTED).length - 1).toBeGreaterThanOrEqual(38)
    }
    expect(single.best).toBeLessThan(25)
    expect(lines.best).toBeLessThan(25)
  })
})
