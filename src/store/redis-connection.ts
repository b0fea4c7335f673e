// ioredis connections that fail fast. With ioredis' defaults a command waits in an offline queue for
// as long as Redis is away, so every request would hang; here a command either goes out on a ready
// connection or is refused at once, and one that gets no answer times out. Reconnection goes on
// forever in the background (backoff capped at 1 s), so the same client works again once Redis is
// back, without anyone recreating it.
import { Redis, type RedisOptions } from 'ioredis'
import { StoreUnavailableError } from './run-store.ts'

export interface RedisConnectionConfig {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
  url: string
  /** Overrides a password in the URL. */
  password?: string
  connectTimeoutMs?: number
  commandTimeoutMs?: number
}

const RECONNECT_CAP_MS = 1000

/** The options for any connection of the store, parsed from the URL (which is not kept). */
export function redisOptions (config: RedisConnectionConfig): RedisOptions {
  let url: URL
  try {
    url = new URL(config.url)
  } catch {
    // The URL itself may hold a password: it is not repeated.
    throw new Error('invalid redis URL: expected redis://host:port[/db] or rediss://…')
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`invalid redis URL: the scheme must be redis:// or rediss://, not ${url.protocol}//`)
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0
  if (!Number.isInteger(db) || db < 0) throw new Error('invalid redis URL: the path must be a database number')
  const username = url.username === '' ? undefined : decodeURIComponent(url.username)
  const password = config.password ?? (url.password === '' ? undefined : decodeURIComponent(url.password))
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 6379 : Number(url.port),
    db,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: config.connectTimeoutMs ?? 1000,
    commandTimeout: config.commandTimeoutMs ?? 1000,
    retryStrategy: (times: number) => Math.min(100 * times, RECONNECT_CAP_MS),
    lazyConnect: false
  }
}

/**
 * A connection that records its last connection error (for the messages of the commands it refuses)
 * instead of letting ioredis print "Unhandled error event" for every reconnect attempt.
 */
export function connect (options: RedisOptions, onError: (error: Error) => void): Redis {
  const client = new Redis(options)
  client.on('error', onError)
  return client
}

/** Resolves true once `client` is ready, false after `timeoutMs`; never rejects. */
export async function whenReady (client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer)
      client.off('ready', onReady)
      resolve(ok)
    }
    const onReady = (): void => done(true)
    const timer = setTimeout(() => done(false), timeoutMs)
    client.on('ready', onReady)
  })
}

/** QUIT, or a hard disconnect when QUIT does not finish within `timeoutMs` (or cannot be sent). */
export async function closeClient (client: Redis, timeoutMs = 1000): Promise<void> {
  if (client.status === 'end') return
  let timer: NodeJS.Timeout | undefined
  const quit = client.status === 'ready' ? client.quit().then(() => true, () => false) : Promise.resolve(false)
  const inTime = await Promise.race([quit, new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs) })])
  clearTimeout(timer)
  // Read again: the await above may have changed it.
  const status: string = client.status
  if (!inTime || status !== 'end') client.disconnect()
}

/**
 * Turns what ioredis throws into StoreUnavailableError. The message is scrubbed of the password and
 * of URL credentials; the original error is not attached, because ioredis puts the arguments of the
 * failed command on it (for a refused login that is `HELLO 3 AUTH <user> <password>`), and loggers
 * serialise `cause`.
 */
export function unavailable (error: unknown, secrets: readonly string[], lastConnectionError: string | undefined): StoreUnavailableError {
  const original = error instanceof Error ? error : new Error(String(error))
  let message = original.message
  if (/enableOfflineQueue|Connection is closed/.test(message)) {
    message = `not connected${lastConnectionError !== undefined ? ` (${lastConnectionError})` : ''}`
  }
  const clean = scrub(message, secrets)
  const cause = new Error(clean)
  cause.name = original.name
  const code = (original as { code?: unknown }).code
  if (typeof code === 'string') (cause as Error & { code?: string }).code = code
  return new StoreUnavailableError(`redis unavailable: ${clean}`, { cause })
}

export function scrub (text: string, secrets: readonly string[]): string {
  let out = text.replace(/(rediss?:\/\/)[^@\s/]*@/gi, '$1***@')
  for (const secret of secrets) if (secret !== '') out = out.split(secret).join('***')
  return out
}
