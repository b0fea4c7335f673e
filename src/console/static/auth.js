// Who the console acts as: the admin token (every run), or one run's token (that run only). Kept in
// sessionStorage: gone when the tab closes, never in localStorage, never left in the address bar.
const KEY = 'hookgate.console.auth'

export function currentAuth () {
  try {
    const auth = JSON.parse(sessionStorage.getItem(KEY) ?? 'null')
    if (auth !== null && typeof auth.token === 'string' && (auth.kind === 'admin' || (auth.kind === 'run' && typeof auth.run === 'string'))) return auth
  } catch {}
  return null
}

export function saveAuth (auth) {
  sessionStorage.setItem(KEY, JSON.stringify(auth))
}

export function clearAuth () {
  sessionStorage.removeItem(KEY)
}

/**
 * A console link `#run=<id>&token=<token>`: the fragment never reaches the server, and the token is
 * taken out of the address bar and this history entry before anything else happens.
 */
export function takeLinkToken () {
  const params = new URLSearchParams(location.hash.slice(1))
  const token = params.get('token')
  if (token === null) return null
  const run = params.get('run')
  history.replaceState(null, '', `${location.pathname}${location.search}${run !== null ? `#run=${encodeURIComponent(run)}` : ''}`)
  return run !== null && token !== '' ? { kind: 'run', run, token } : null
}

/** Run links sent to chats carry read-only tokens: the console hides what they may not do. */
export function readOnly (auth) {
  return auth.token.startsWith('lnk_')
}
