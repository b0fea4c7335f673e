// What `serve` and `worker` open before they build anything: the state directory's lock (one
// process per state directory), the audit log, the store (connected, for a shared one) and the key
// of run links; and what they close at the end. Either everything opens or nothing stays open.
import { AuditLog } from './audit/audit-log.ts'
import type { Config } from './config/schema.ts'
import { ensureStateSecret } from './config/state-secret.ts'
import { sharedLinkKey, waitForStore } from './cluster/shared-link-key.ts'
import type { GatewayDeps } from './gateway.ts'
import { createProcessControl } from './proc/process-control.ts'
import { acquireStateLock } from './proc/state-lock.ts'
import { createSpawnerLauncher } from './runner/spawner/spawner-launcher.ts'
import { createStore, redactedStoreUrl } from './store/create-store.ts'
import { StoreUnavailableError, type RunStore } from './store/run-store.ts'
import { isShared } from './store/shared-store.ts'

const LINK_KEY_FILE = 'link.key'
/** How long a process waits for Redis at start before giving up (a supervisor restarts it). */
const STORE_WAIT_MS = 30_000

export interface ProcessState {
  audit: AuditLog
  store: RunStore
  /** Everything a Gateway needs from this process. */
  deps: GatewayDeps
  /** Closes the store and the audit log and releases the lock. */
  close: () => Promise<void>
  /** Releases the lock only (a forced stop: the process exits next). */
  releaseLock: () => void
}

export async function openProcessState (config: Config, env: NodeJS.ProcessEnv, opts: { bwrapPath: string | null, role: 'gateway' | 'worker' }): Promise<ProcessState> {
  const lock = acquireStateLock(config.state_dir)
  // Started on the first run, so a gateway that never runs an agent never starts it.
  const launcher = createSpawnerLauncher({ env })
  let audit: AuditLog | undefined
  let store: RunStore | undefined
  try {
    audit = new AuditLog(config.state_dir, Date.now, { rotateBytes: config.audit.rotate_bytes })
    store = await createStore(config)
    const linkKey = await runLinkKey(config, store)
    const deps: GatewayDeps = {
      env,
      launcher,
      audit,
      store,
      processes: createProcessControl(),
      now: Date.now,
      role: opts.role,
      ...(linkKey !== undefined ? { linkKey } : {}),
      ...(opts.bwrapPath !== null ? { bwrapPath: opts.bwrapPath } : {})
    }
    const openAudit = audit
    const openStore = store
    return {
      audit,
      store,
      deps,
      close: async () => {
        try {
          await launcher.close()
          await openStore.close()
          openAudit.close()
        } finally {
          lock.release()
        }
      },
      releaseLock: () => lock.release()
    }
  } catch (error) {
    await launcher.close()
    await store?.close()
    audit?.close()
    lock.release()
    throw error
  }
}

/**
 * Run links sent to chats must keep working after a restart: their key lives with the state (in
 * Redis for a shared store, so every replica opens every link). A shared store must be reachable at
 * start; later outages only refuse requests.
 */
async function runLinkKey (config: Config, store: RunStore): Promise<Buffer | undefined> {
  if (config.store === 'memory') return undefined
  if (!isShared(store)) return Buffer.from(ensureStateSecret(config.state_dir, LINK_KEY_FILE), 'hex')
  const where = redactedStoreUrl(config.store)
  const ready = await waitForStore(store, STORE_WAIT_MS, () => process.stderr.write(`hookgate: waiting for Redis at ${where}\n`))
  if (!ready) throw new StoreUnavailableError(`Redis at ${where} did not answer within ${STORE_WAIT_MS / 1000} s`)
  return sharedLinkKey(store)
}
