// The process's own CPU and memory, under the names prom-client's collectDefaultMetrics uses (so
// the usual dashboards work). Not collectDefaultMetrics itself: it starts an event-loop monitor and a
// GC observer per call that can never be stopped, so every gateway built in one process (tests build
// many) would leave both running for ever. These read everything at scrape time.
import { Counter, Gauge, type Registry } from 'prom-client'

export function registerProcessMetrics (register: Registry): void {
  const registers = [register]
  // A scrape reads metrics in registration order, so a metric whose collect() also sets others is
  // registered before them: they are created unregistered and added after it.
  let cpuSeen = { user: 0, system: 0 }
  const cpuUser = new Counter({ name: 'process_cpu_user_seconds_total', help: 'User CPU time spent in seconds.', registers: [] })
  const cpuSystem = new Counter({ name: 'process_cpu_system_seconds_total', help: 'System CPU time spent in seconds.', registers: [] })
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers,
    collect () {
      const now = process.cpuUsage()
      const user = Math.max(0, now.user - cpuSeen.user) / 1e6
      const system = Math.max(0, now.system - cpuSeen.system) / 1e6
      cpuSeen = now
      cpuUser.inc(user)
      cpuSystem.inc(system)
      this.inc(user + system)
    }
  })
  register.registerMetric(cpuUser)
  register.registerMetric(cpuSystem)

  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers,
    collect () { this.set(process.memoryUsage.rss()) }
  })
  const heapTotal = new Gauge({ name: 'nodejs_heap_size_total_bytes', help: 'Process heap size from Node.js in bytes.', registers: [] })
  new Gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'Process heap size used from Node.js in bytes.',
    registers,
    collect () {
      const memory = process.memoryUsage()
      heapTotal.set(memory.heapTotal)
      this.set(memory.heapUsed)
    }
  })
  register.registerMetric(heapTotal)

  new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers })
    .set(Math.round(Date.now() / 1000 - process.uptime()))
}
