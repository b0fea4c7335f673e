// Slack sends three kinds of request to the same URL: slash commands and interactivity (button
// presses) as forms, the Events API as JSON. The kind is read from the signed body, never from the
// unsigned Content-Type header, and cheaply enough for `answer` to ask again.

export type SlackRequestKind = 'events' | 'form' | 'interactivity'

export function slackRequestKind (rawBody: Buffer): SlackRequestKind {
  for (const byte of rawBody) {
    // Skip JSON whitespace; a form body starts with a field name.
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue
    if (byte === 0x7b || byte === 0x5b) return 'events'
    break
  }
  // Interactivity is a form with a single `payload` field holding JSON; slash commands never have one.
  return new URLSearchParams(rawBody.toString('utf8')).has('payload') ? 'interactivity' : 'form'
}
