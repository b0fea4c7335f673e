// The gateway's HTTP API, called exactly as a script would: the token in the Authorization header
// and errors as the API's own { code, message }. Paths are relative to the page, so a gateway
// served under a path prefix works too.

export class ApiError extends Error {
  constructor (status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

export async function call (auth, method, path, body) {
  let res
  try {
    res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${auth.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      cache: 'no-store',
      redirect: 'error'
    })
  } catch {
    throw new ApiError(0, 'NETWORK', 'The gateway cannot be reached.')
  }
  const text = await res.text()
  let data = null
  try { data = text === '' ? null : JSON.parse(text) } catch {}
  if (!res.ok) throw new ApiError(res.status, data?.code ?? '', data?.message ?? `The gateway answered ${res.status}.`)
  return { status: res.status, data, headers: res.headers }
}

/** A sentence for the page: the API's message, with its code for the curious. */
export function explain (error) {
  if (!(error instanceof ApiError)) return String(error?.message ?? error)
  if (error.status === 401) return 'The token was not accepted (HOOKGATE_UNAUTHORIZED).'
  return error.code !== '' ? `${error.message} (${error.code})` : error.message
}

/** An event-stream URL: EventSource cannot set headers, so its token goes in `?token=` (the API allows it there). */
export function streamUrl (path, auth, query = {}) {
  const params = new URLSearchParams({ ...query, token: auth.token })
  return `${path}?${params}`
}

export function runPath (id) {
  return `v1/runs/${encodeURIComponent(id)}`
}
