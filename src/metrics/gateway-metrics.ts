// The metrics of one gateway instance, in a prom-client Registry it owns (never the global default
// one), so several gateways in one process never share a series. Labels are bounded by design: caller
// ids and schemes come from the config, reasons and statuses from fixed sets; never a user, a run
// id, an address or a prompt.
import { Counter, Gauge, Registry } from 'prom-client'
import { registerEventLoopDelay } from './event-loop-delay.ts'
import { registerProcessMetrics } from './process-metrics.ts'
import type { DeliveryAttempt } from '../delivery/delivery-service.ts'
import type { RequestOutcome } from './request-outcome.ts'
import { RunMetrics, type RunSources } from './run-metrics.ts'

export interface MetricSources extends RunSources {
  /** Event streams (SSE) open now. */
  sseClients (): number
}

export interface MetricsOptions {
  now: () => number
  /** Process and event-loop metrics; off where nothing scrapes them (a worker, metrics disabled). */
  processMetrics: boolean
}

/** Who a request was for: a configured caller and its scheme, or '' for both when unknown. */
export interface CallerLabels {
  caller: string
  scheme: string
}

export class GatewayMetrics {
  readonly registry = new Registry()
  readonly runs: RunMetrics
  readonly #requests: Counter<'caller' | 'scheme' | 'outcome' | 'reason'>
  readonly #deliveries: Counter<'platform' | 'channel' | 'result'>
  readonly #stopSampling: () => void

  constructor (sources: MetricSources, opts: MetricsOptions) {
    const registers = [this.registry]
    this.#requests = new Counter({
      name: 'hookgate_requests_total',
      help: 'Webhook requests by caller, scheme and outcome: `verified` once per request whose signature checks out, then one outcome per message (a platform request may carry several).',
      labelNames: ['caller', 'scheme', 'outcome', 'reason'] as const,
      registers
    })
    this.#deliveries = new Counter({
      name: 'hookgate_deliveries_total',
      help: 'Attempts to deliver results, notices and questions to platform APIs and callback URLs, by result.',
      labelNames: ['platform', 'channel', 'result'] as const,
      registers
    })
    this.runs = new RunMetrics(this.registry, sources, opts.now)
    new Gauge({ name: 'hookgate_sse_clients', help: 'Event-stream (SSE) clients connected now.', registers, collect () { this.set(sources.sseClients()) } })
    this.#stopSampling = () => {}
    if (opts.processMetrics) {
      registerProcessMetrics(this.registry)
      this.#stopSampling = registerEventLoopDelay(this.registry)
    }
  }

  request (who: CallerLabels, { outcome, reason }: RequestOutcome): void {
    this.#requests.inc({ caller: who.caller, scheme: who.scheme, outcome, reason })
  }

  delivery ({ platform, channel, result }: DeliveryAttempt): void {
    this.#deliveries.inc({ platform, channel, result })
  }

  get contentType (): string {
    return this.registry.contentType
  }

  /** The Prometheus text exposition of every metric, collected now. */
  async text (): Promise<string> {
    return this.registry.metrics()
  }

  /** Stops the event-loop sampler (the gateway stops). */
  close (): void {
    this.#stopSampling()
  }
}
