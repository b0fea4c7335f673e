// A GitHub webhook is configured with one of two content types: application/json (the body is the
// payload) or application/x-www-form-urlencoded (the payload is JSON in the one form field `payload`).
// Both are accepted so a hook left on GitHub's default still works; the signature covered the raw
// bytes either way.
import { isUtf8 } from 'node:buffer'
import type { IncomingHttpHeaders } from 'node:http'
import { readHeader } from '../../verify/read-header.ts'
import { isObject, type JsonObject } from './fields.ts'

const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i

/** @returns the payload object, or null when the body is not one JSON object in either encoding. */
export function readPayload (rawBody: Buffer, headers: IncomingHttpHeaders): JsonObject | null {
  if (!isUtf8(rawBody)) return null
  let text = rawBody.toString('utf8')
  const contentType = readHeader(headers, 'content-type', 256)
  if (!contentType.ok) return null
  if (contentType.value !== undefined && FORM.test(contentType.value)) {
    const fields = new URLSearchParams(text).getAll('payload')
    if (fields.length !== 1) return null
    text = fields[0] as string
  }
  try {
    const value: unknown = JSON.parse(text)
    return isObject(value) ? value : null
  } catch {
    return null
  }
}
