// The store a config asks for.
import type { Config } from '../config/schema.ts'
import { MemoryStore } from './memory-store.ts'
import type { RunStore } from './run-store.ts'
import { SqliteStore } from './sqlite-store.ts'

export function createStore (config: Pick<Config, 'store' | 'state_dir'>): RunStore {
  return config.store === 'memory' ? new MemoryStore() : new SqliteStore(config.state_dir)
}
