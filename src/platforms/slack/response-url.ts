// A slash command's response_url is in the signed body, but a POST to it carries the result of a
// run, so it must go to Slack and nowhere else: a leaked signing secret or a Slack-side bug must
// not turn the gateway into a request forwarder. Tests point `reply.api_base` at a local server;
// that origin (and path prefix) is the only other destination accepted.

const MAX_URL_CHARS = 2048

export function isAllowedResponseUrl (value: string, apiBase: string | undefined): boolean {
  if (value.length > MAX_URL_CHARS) return false
  const url = parseUrl(value)
  if (url === null || url.username !== '' || url.password !== '') return false
  if (url.protocol === 'https:' && url.port === '' && isSlackHost(url.hostname)) return true
  return apiBase !== undefined && isUnder(url, apiBase)
}

function isSlackHost (hostname: string): boolean {
  return hostname === 'hooks.slack.com' || hostname.endsWith('.slack.com')
}

/** Same origin and a path below the base's: a plain string prefix would let `…:8080` match `…:80`. */
function isUnder (url: URL, apiBase: string): boolean {
  const base = parseUrl(apiBase)
  if (base === null || url.origin !== base.origin) return false
  const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`
  return url.pathname === base.pathname || url.pathname.startsWith(prefix)
}

function parseUrl (value: string): URL | null {
  try {
    return new URL(value)
  } catch {
    return null
  }
}
