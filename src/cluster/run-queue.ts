// The shared run queue of `execution: workers`, on BullMQ: gateways add accepted runs, `hookgate
// worker` processes take them. BullMQ brings what a queue on Redis needs and is easy to get wrong by
// hand (atomic move from waiting to active, per-worker concurrency, locks renewed while a job runs,
// reconnects); the run itself stays in the store, so a job carries only the run id.
//
// A job is attempted once: `maxStalledCount: 0` makes BullMQ fail, never retry, the job of a worker
// that stopped renewing its lock. Whether a run executes at all is decided by the store's claim
// (queued → running, once), and a dead worker's runs are ended by the cluster's lease check — so
// BullMQ's redelivery, which would run an agent twice, is never relied on.
//
// BullMQ is loaded on first use: a gateway on one machine never needs it, and importing it costs
// about 25 MB of memory.
import type { ConnectionOptions, Job, Queue } from 'bullmq'
import type { RedisOptions } from 'ioredis'

const QUEUE_NAME = 'runs'

export interface RunQueueOptions {
  /** Options of a new connection to the store's Redis (the queue opens its own). */
  connection: RedisOptions
  /** BullMQ's key prefix (no trailing colon). */
  prefix: string
  /** Bound on every queue operation, so a request never waits on an unreachable Redis. */
  timeoutMs: number
}

export class RunQueue {
  readonly #queue: Promise<Queue>
  readonly #timeoutMs: number

  constructor (opts: RunQueueOptions) {
    this.#timeoutMs = opts.timeoutMs
    this.#queue = import('bullmq').then(({ Queue }) => {
      const queue = new Queue(QUEUE_NAME, {
        connection: asBullOptions({ ...opts.connection, enableOfflineQueue: false }),
        prefix: opts.prefix
      })
      // Connection errors surface as rejected operations; without a listener they would crash.
      queue.on('error', () => {})
      return queue
    })
  }

  async enqueue (runId: string): Promise<void> {
    const queue = await this.#queue
    await this.#bounded(queue.add('run', { runId }, { jobId: runId, removeOnComplete: 1000, removeOnFail: 1000, attempts: 1 }))
  }

  /** Runs waiting for a worker. */
  async depth (): Promise<number> {
    const queue = await this.#queue
    return this.#bounded(queue.getWaitingCount())
  }

  /** Drops a run's job if it still waits (a run cancelled before any worker took it). */
  async remove (runId: string): Promise<void> {
    const queue = await this.#queue
    await this.#bounded(queue.remove(runId)).catch(() => 0)
  }

  async close (): Promise<void> {
    const queue = await this.#queue
    await this.#bounded(queue.close()).catch(() => {})
  }

  async #bounded<T> (work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the run queue did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs)
    })
    try {
      return await Promise.race([work, late])
    } finally {
      clearTimeout(timer)
    }
  }
}

export interface QueueWorkerOptions {
  connection: RedisOptions
  prefix: string
  /** Jobs (runs) at once in this process. */
  concurrency: number
  /** Milliseconds a job's lock lasts without renewal. */
  lockMs: number
  /** Executes the run; resolves when it is final and recorded. */
  process: (runId: string) => Promise<void>
  onError?: (error: unknown) => void
}

/** Takes runs from the queue until closed. */
export class QueueWorker {
  readonly #worker: import('bullmq').Worker

  static async start (opts: QueueWorkerOptions): Promise<QueueWorker> {
    const { Worker } = await import('bullmq')
    const worker = new QueueWorker(Worker, opts)
    await worker.#worker.waitUntilReady()
    return worker
  }

  private constructor (Worker: typeof import('bullmq').Worker, opts: QueueWorkerOptions) {
    // Blocking reads wait for jobs: no command timeout, and ioredis must keep retrying (BullMQ's rule).
    const { commandTimeout: _unused, ...connection } = opts.connection
    this.#worker = new Worker(QUEUE_NAME, async (job: Job<{ runId: string }>) => {
      await opts.process(job.data.runId)
    }, {
      connection: asBullOptions({ ...connection, maxRetriesPerRequest: null, enableOfflineQueue: true }),
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      maxStalledCount: 0,
      lockDuration: opts.lockMs,
      stalledInterval: opts.lockMs,
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 1000 }
    })
    this.#worker.on('error', (error) => opts.onError?.(error))
  }

  /** Stops taking jobs; resolves when the ones it holds have finished. */
  async close (): Promise<void> {
    await this.#worker.close()
  }
}

/** BullMQ declares its own copy of ioredis's options type; the values are ioredis's own. */
function asBullOptions (options: RedisOptions): ConnectionOptions {
  return options as ConnectionOptions
}
