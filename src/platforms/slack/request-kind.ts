// Slack sends three kinds of request to the same URL: slash commands and interactivity as forms,
// the Events API as JSON. The kind is read from the signed body, never from the unsigned
// Content-Type header, and cheaply enough for `answer` to ask again.

export type SlackRequestKind = 'events' | 'form'

export function slackRequestKind (rawBody: Buffer): SlackRequestKind {
  for (const byte of rawBody) {
    // Skip JSON whitespace; a form body starts with a field name.
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue
    return byte === 0x7b || byte === 0x5b ? 'events' : 'form'
  }
  return 'form'
}
