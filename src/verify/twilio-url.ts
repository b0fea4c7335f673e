// The URLs a Twilio signature may have been computed over, for the URL we were addressed at.
// Twilio's back end is inconsistent about default ports and query escaping, and twilio-node 6.2.0
// (lib/webhooks/webhooks.js, validateRequest) accepts a fixed set of variants. This is a port of
// that set, so that a request the official library accepts verifies here too and nothing else
// does: the URL as received, with its port removed and with the default port added; then the
// WHATWG-normalised URL (`new URL(url).toString()`) the same two ways, each also with the query
// re-encoded by Node's legacy `querystring` module.
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring'

interface UrlParts {
  scheme: string
  userInfo: string
  host: string
  port: string
  rest: string
}

/** Splits without normalising, so the path and query keep exactly the characters Twilio signed. */
function splitUrl (url: string): UrlParts | null {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url)
  if (match === null) return null
  const [prefix, scheme, authority] = match as unknown as [string, string, string]
  const userInfoEnd = authority.lastIndexOf('@')
  const hostAndPort = authority.slice(userInfoEnd + 1)
  // A colon only starts the port after the closing bracket of an IPv6 literal.
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1)
  return {
    scheme,
    userInfo: authority.slice(0, userInfoEnd + 1),
    host: portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart),
    port: portStart === -1 ? '' : hostAndPort.slice(portStart),
    rest: url.slice(prefix.length)
  }
}

function addPort (url: string): string {
  const parts = splitUrl(url)
  if (parts === null || parts.port !== '') return url
  const port = parts.scheme.toLowerCase() === 'https://' ? ':443' : ':80'
  return parts.scheme + parts.userInfo + parts.host + port + parts.rest
}

// Any port, not only the default one: that is what the official library does.
function removePort (url: string): string {
  const parts = splitUrl(url)
  if (parts === null) return url
  return parts.scheme + parts.userInfo + parts.host + parts.rest
}

function withLegacyQuerystring (url: string): string {
  const queryStart = url.indexOf('?')
  if (queryStart === -1 || queryStart === url.length - 1) return url
  return url.slice(0, queryStart) + '?' + stringifyQuery(parseQuery(url.slice(queryStart + 1)))
}

/**
 * @returns the distinct candidate URLs, or null when `url` is not an absolute `scheme://` URL that
 * the WHATWG parser accepts (the official library throws on those).
 */
export function twilioUrlCandidates (url: string): string[] | null {
  if (splitUrl(url) === null || !URL.canParse(url)) return null
  const normalized = new URL(url).toString()
  const withoutPort = removePort(normalized)
  const withPort = addPort(normalized)
  return [...new Set([
    removePort(url),
    addPort(url),
    withoutPort,
    withPort,
    withLegacyQuerystring(withoutPort),
    withLegacyQuerystring(withPort)
  ])]
}
