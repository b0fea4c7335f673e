// With `store: redis://…`, is Redis there and fit to keep runs: it answers PING with the configured
// password within `redis.timeout_ms`, is 6.2 or newer, is one plain server (not a Cluster or a
// Sentinel), keeps what it acknowledged across a restart (appendonly) and refuses writes when full
// rather than dropping keys (noeviction). Its TIME is also the second clock for the clock check.
// One connection that never retries, so an unreachable Redis fails within the timeout. The URL is
// only ever shown without credentials, and error texts are scrubbed of the password.
import { Redis } from 'ioredis'
import type { Config } from '../config/schema.ts'
import { redactedStoreUrl } from '../store/create-store.ts'
import { closeClient, redisOptions, scrub } from '../store/redis-connection.ts'
import { fail, info, ok, warn, type Check } from './check.ts'
import type { ClockReference } from './clock-checks.ts'

const MINIMUM_VERSION: readonly [number, number] = [6, 2]

export interface RedisReport {
  readonly checks: Check[]
  /** Redis's clock, when it answered. */
  readonly clock: ClockReference | null
}

export async function redisChecks (config: Pick<Config, 'store' | 'redis'>): Promise<RedisReport> {
  const where = redactedStoreUrl(config.store)
  const timeoutMs = config.redis.timeout_ms
  const secrets = [config.redis.password ?? '', urlPassword(config.store)]
  const clean = (text: string): string => scrub(text, secrets)
  let client: Redis
  try {
    client = new Redis({
      ...redisOptions({ url: config.store, ...(config.redis.password !== undefined ? { password: config.redis.password } : {}), connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs }),
      retryStrategy: () => null,
      // A hung server never closes its side: do not wait ioredis' default 2 s for it before exiting.
      disconnectTimeout: timeoutMs,
      lazyConnect: true
    })
  } catch (error) {
    return { checks: [fail('redis', clean((error as Error).message), { fix: 'correct store: redis://host:port[/db] or rediss://…' })], clock: null }
  }
  let lastError: string | undefined
  client.on('error', (error: Error) => { lastError = error.message })
  try {
    const started = performance.now()
    const connected = await within(client.connect().then(() => true, () => false), timeoutMs + 500, false)
    if (!connected) {
      const why = clean(lastError ?? `no answer within ${timeoutMs} ms`)
      const auth = /WRONGPASS|NOAUTH|\bAUTH\b|password/i.test(why)
      return {
        checks: [fail('redis', `Redis at ${where} cannot be used: ${why}`, {
          fix: auth
            ? 'set redis.password (for example "${REDIS_PASSWORD}") to the password the server requires'
            : `start Redis there, or correct store and redis.timeout_ms (${timeoutMs} ms now); \`hookgate serve\` waits 30 s for Redis, then exits`
        })],
        clock: null
      }
    }
    await client.call('PING')
    const pingMs = performance.now() - started
    return await inspect(client, where, pingMs, clean)
  } catch (error) {
    return { checks: [fail('redis', `Redis at ${where} stopped answering: ${clean((error as Error).message)}`, { fix: `check the server's load and network; commands must answer within redis.timeout_ms (${timeoutMs} ms)` })], clock: null }
  } finally {
    await closeClient(client, timeoutMs)
  }
}

async function inspect (client: Redis, where: string, pingMs: number, clean: (text: string) => string): Promise<RedisReport> {
  const checks: Check[] = []
  const infoText = String(await client.call('INFO', 'server'))
  const version = /^redis_version:(\S+)/m.exec(infoText)?.[1] ?? 'unknown'
  const mode = /^redis_mode:(\S+)/m.exec(infoText)?.[1] ?? 'standalone'
  const answered = `Redis at ${where} answers PING (${Math.round(pingMs)} ms to connect and answer), version ${version}`
  if (!atLeast(version, MINIMUM_VERSION)) {
    checks.push(fail('redis', `${answered}: hookgate needs ${MINIMUM_VERSION.join('.')} or newer`, { fix: `upgrade Redis to ${MINIMUM_VERSION.join('.')} or newer` }))
  } else {
    checks.push(ok('redis', answered))
  }
  if (mode !== 'standalone') {
    checks.push(fail('redis', `Redis at ${where} runs in ${mode} mode: hookgate needs one plain server`, { fix: 'point store at the primary Redis server itself (Cluster and Sentinel are not supported)' }))
  }
  checks.push(...await settings(client, clean))

  const before = Date.now()
  const time = await client.call('TIME') as [string, string]
  const after = Date.now()
  const redisMs = Number(time[0]) * 1000 + Number(time[1]) / 1000
  return { checks, clock: { source: 'Redis TIME', skewMs: (before + after) / 2 - redisMs } }
}

async function settings (client: Redis, clean: (text: string) => string): Promise<Check[]> {
  let appendonly: string
  let policy: string
  try {
    appendonly = configValue(await client.call('CONFIG', 'GET', 'appendonly'))
    policy = configValue(await client.call('CONFIG', 'GET', 'maxmemory-policy'))
  } catch (error) {
    // Managed services and hardened servers often rename or forbid CONFIG.
    return [info('redis', `CONFIG GET is refused (${clean((error as Error).message)}): check appendonly yes and maxmemory-policy noeviction in the server's own configuration`)]
  }
  return [
    appendonly === 'yes'
      ? ok('redis', 'appendonly yes: what Redis acknowledged survives its restart')
      : warn('redis', `appendonly ${appendonly || '(unset)'}: runs, the queue and idempotency keys are lost when Redis restarts`, { fix: 'set appendonly yes (and appendfsync everysec) in redis.conf, or CONFIG SET appendonly yes then CONFIG REWRITE' }),
    policy === 'noeviction'
      ? ok('redis', 'maxmemory-policy noeviction: a full Redis refuses writes instead of dropping keys')
      : warn('redis', `maxmemory-policy ${policy || '(unset)'}: a full Redis may evict runs and queued jobs`, { fix: 'set maxmemory-policy noeviction in redis.conf, or CONFIG SET maxmemory-policy noeviction then CONFIG REWRITE' })
  ]
}

/** CONFIG GET answers [name, value] (RESP2) or {name: value} (RESP3). */
function configValue (reply: unknown): string {
  if (Array.isArray(reply)) return String(reply[1] ?? '')
  if (typeof reply === 'object' && reply !== null) return String(Object.values(reply)[0] ?? '')
  return ''
}

function atLeast (version: string, minimum: readonly [number, number]): boolean {
  const [major = NaN, minor = NaN] = version.split('.').map(Number)
  if (!Number.isFinite(major) || !Number.isFinite(minor)) return false
  return major > minimum[0] || (major === minimum[0] && minor >= minimum[1])
}

function urlPassword (store: string): string {
  try {
    return decodeURIComponent(new URL(store).password)
  } catch {
    return ''
  }
}

async function within<T> (promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<T>((resolve) => { timer = setTimeout(() => resolve(fallback), ms) })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}
