// The store a config asks for.
import type { Config } from '../config/schema.ts'
import { MemoryStore } from './memory-store.ts'
import type { RunStore } from './run-store.ts'
import { SqliteStore } from './sqlite-store.ts'

/** The Redis client is loaded only for a redis store: importing it costs about 20 MB of memory. */
export async function createStore (config: Pick<Config, 'store' | 'state_dir' | 'redis'>): Promise<RunStore> {
  if (config.store === 'memory') return new MemoryStore()
  if (config.store === 'sqlite') return new SqliteStore(config.state_dir)
  const { RedisStore } = await import('./redis-store.ts')
  return new RedisStore({
    url: config.store,
    ...(config.redis.password !== undefined ? { password: config.redis.password } : {}),
    prefix: config.redis.prefix,
    connectTimeoutMs: config.redis.timeout_ms,
    commandTimeoutMs: config.redis.timeout_ms
  })
}

/** `redis://host:port/db` without credentials, for messages and logs. */
export function redactedStoreUrl (store: string): string {
  try {
    const url = new URL(store)
    url.username = ''
    url.password = ''
    return url.toString()
  } catch {
    return 'redis://…'
  }
}
