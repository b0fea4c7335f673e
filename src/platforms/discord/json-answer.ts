// Discord reads every interaction response as JSON.
import type { HttpAnswer } from '../adapter.ts'

export function jsonAnswer (body: unknown): HttpAnswer {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
}
