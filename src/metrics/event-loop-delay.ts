// How late the event loop runs a timer due every 20 ms: every request, stream and delivery waits
// behind whatever holds the loop. A timer of our own rather than perf_hooks' monitorEventLoopDelay,
// whose reset() also forgets when it last sampled, so a stall that begins just after a scrape is
// never seen; a histogram needs no reset at all, and any number of scrapers read the same series.
import { Gauge, Histogram, type Registry } from 'prom-client'

const SAMPLE_MS = 20
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

/** Registers the metrics in `register` and starts sampling; the function returned stops it. */
export function registerEventLoopDelay (register: Registry): () => void {
  const registers = [register]
  const delays = new Histogram({
    name: 'hookgate_event_loop_delay_seconds',
    help: 'How late the event loop ran a timer due every 20 ms.',
    buckets: BUCKETS,
    registers
  })
  let max = 0
  new Gauge({
    name: 'hookgate_event_loop_delay_max_seconds',
    help: 'Longest event-loop delay since the previous scrape.',
    registers,
    collect () {
      this.set(max)
      max = 0
    }
  })
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    const late = Math.max(0, now - last - SAMPLE_MS) / 1000
    last = now
    delays.observe(late)
    max = Math.max(max, late)
  }, SAMPLE_MS)
  timer.unref()
  return () => clearInterval(timer)
}
