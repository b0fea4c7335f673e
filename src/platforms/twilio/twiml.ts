// TwiML exactly as the official `twilio` package's MessagingResponse writes it (xmlbuilder with
// its defaults), so what Twilio reads from us is what it reads from its own SDK.
// One difference by design: xmlbuilder throws on characters XML 1.0 cannot carry (most C0
// controls, lone surrogates, U+FFFE/U+FFFF); an answer must never fail over agent output, so
// those characters are dropped instead.

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
const NOT_XML_CHAR = /[\0-\x08\x0B\f\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** `<Response>` with one `<Message>` per text, in order; no texts gives `<Response/>`. */
export function messagingResponse (texts: readonly string[]): string {
  if (texts.length === 0) return `${XML_DECLARATION}<Response/>`
  return `${XML_DECLARATION}<Response>${texts.map(message).join('')}</Response>`
}

function message (text: string): string {
  const escaped = escapeText(text)
  return escaped === '' ? '<Message/>' : `<Message>${escaped}</Message>`
}

/** xmlbuilder's element-text escape: `&`, `<`, `>` and CR (which XML parsers would fold into LF). */
export function escapeText (text: string): string {
  return text.replace(NOT_XML_CHAR, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#xD;')
}
