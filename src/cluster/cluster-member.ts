// This process as a member of a shared deployment: a lease in Redis renewed every third of its
// length (so one lost heartbeat is not death), and a periodic check that ends the runs of members
// whose lease lapsed. The check runs only after this process has itself been connected for a whole
// lease: when Redis comes back from an outage every lease has lapsed at once, and the others must
// get the chance to renew theirs before anyone counts them dead.
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { InstanceInfo, SharedStore } from '../store/shared-store.ts'

export interface ClusterMemberOptions {
  store: SharedStore
  /** The store's connection, watched for (re)connects. */
  client: Redis
  role: InstanceInfo['role']
  leaseMs: number
  /** Runs executing here now (reported with the heartbeat). */
  running: () => number
  /** Ends the runs of members whose lease lapsed. */
  reap: () => Promise<void>
  now?: () => number
  onError?: (what: string, error: unknown) => void
}

export function newInstanceId (role: InstanceInfo['role']): string {
  return `${role}-${hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 32)}-${process.pid}-${randomBytes(4).toString('hex')}`
}

export class ClusterMember {
  readonly id: string
  readonly #o: Required<Omit<ClusterMemberOptions, 'onError'>> & Pick<ClusterMemberOptions, 'onError'>
  #connectedSince: number | null = null
  #heartbeat: NodeJS.Timeout | undefined
  #reaper: NodeJS.Timeout | undefined
  #reaping = false
  #stopped = false
  readonly #onReady = (): void => {
    this.#connectedSince = this.#o.now()
    void this.beat()
  }

  readonly #onClose = (): void => { this.#connectedSince = null }

  constructor (id: string, opts: ClusterMemberOptions) {
    this.id = id
    this.#o = { now: Date.now, ...opts }
    if (opts.client.status === 'ready') this.#connectedSince = this.#o.now()
    opts.client.on('ready', this.#onReady)
    opts.client.on('close', this.#onClose)
  }

  /** True when this process has had Redis for at least one lease without a break. */
  get settled (): boolean {
    return this.#connectedSince !== null && this.#o.now() - this.#connectedSince >= this.#o.leaseMs
  }

  start (): void {
    void this.beat()
    this.#heartbeat = setInterval(() => { void this.beat() }, Math.max(250, Math.floor(this.#o.leaseMs / 3)))
    this.#reaper = setInterval(() => { void this.check() }, Math.max(500, Math.floor(this.#o.leaseMs / 2)))
    this.#heartbeat.unref()
    this.#reaper.unref()
  }

  async beat (): Promise<void> {
    if (this.#stopped) return
    const info: InstanceInfo = { id: this.id, role: this.#o.role, host: hostname(), pid: process.pid, running: this.#o.running(), at: this.#o.now() }
    await this.#o.store.heartbeat(info, this.#o.leaseMs).catch((error: unknown) => this.#o.onError?.('heartbeat', error))
  }

  /** Ends lapsed members' runs, unless this process is itself not settled. */
  async check (): Promise<void> {
    if (this.#reaping || this.#stopped || !this.settled) return
    this.#reaping = true
    try {
      await this.#o.reap()
    } catch (error) {
      this.#o.onError?.('lease check', error)
    } finally {
      this.#reaping = false
    }
  }

  /** Stops renewing and gives the lease up (this process's runs are final by now). */
  async stop (): Promise<void> {
    this.#stopped = true
    clearInterval(this.#heartbeat)
    clearInterval(this.#reaper)
    this.#o.client.off('ready', this.#onReady)
    this.#o.client.off('close', this.#onClose)
    await this.#o.store.leave(this.id).catch(() => {})
  }
}
