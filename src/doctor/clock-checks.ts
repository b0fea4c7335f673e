// Signatures carry a timestamp accepted within ±max_age (300 s by default), and replicas compare lease
// times through Redis: a wrong clock refuses every request or ends live runs. With a redis store,
// Redis's TIME is a second clock to compare with; otherwise doctor makes no outbound call and only
// checks what it can alone: a plausible year, and no jump of the wall clock while it ran.
import type { Config } from '../config/schema.ts'
import { fail, ok, warn, type Check } from './check.ts'

/** Skew beyond this makes most signed requests fail (windows are ±300 s; 30 s leaves room for senders' clocks). */
export const MAX_SKEW_MS = 30_000
const NOTICEABLE_SKEW_MS = 5_000
const EARLIEST_YEAR = 2025
const NTP_FIX = 'synchronise the clock: timedatectl set-ntp true (or run chronyd or ntpd)'

export interface ClockReference {
  /** What was compared with, for the message (`Redis TIME`). */
  readonly source: string
  /** This machine's clock minus the reference, in milliseconds. */
  readonly skewMs: number
}

export function clockChecks (config: Pick<Config, 'server' | 'callers'>, reference: ClockReference | null, notMeasured: string): Check[] {
  const now = Date.now()
  const checks: Check[] = []
  const year = new Date(now).getUTCFullYear()
  if (year < EARLIEST_YEAR) {
    checks.push(fail('clock', `the system clock says ${new Date(now).toISOString()}, before ${EARLIEST_YEAR}: it was never set`, { fix: NTP_FIX }))
  }
  if (reference !== null) {
    const skew = Math.abs(reference.skewMs)
    const said = `the system clock is ${formatMs(reference.skewMs)} ${reference.skewMs >= 0 ? 'ahead of' : 'behind'} ${reference.source}`
    if (skew > MAX_SKEW_MS) checks.push(fail('clock', `${said}: signed requests and leases fail beyond ${MAX_SKEW_MS / 1000} s`, { fix: NTP_FIX }))
    else if (skew > NOTICEABLE_SKEW_MS) checks.push(warn('clock', said, { fix: NTP_FIX }))
    else checks.push(ok('clock', said))
    return checks
  }
  // performance.timeOrigin is the wall clock at process start, performance.now() is monotonic: they
  // drift apart only when the wall clock is stepped.
  const jump = now - (performance.timeOrigin + performance.now())
  if (Math.abs(jump) > 1000) {
    checks.push(warn('clock', `the system clock moved by ${formatMs(jump)} while doctor ran: something is stepping it`, { fix: `${NTP_FIX}, and only one of them` }))
  } else if (year >= EARLIEST_YEAR) {
    const signed = config.server.public_url !== undefined || Object.values(config.callers).some((c) => c.reply?.api_base !== undefined)
    checks.push(ok('clock', `the system clock reads ${new Date(now).toISOString()}; skew not measured (${notMeasured})${signed ? '; senders sign with their own clocks, within ±max_age: keep NTP on' : ''}`))
  }
  return checks
}

function formatMs (ms: number): string {
  const abs = Math.abs(ms)
  return abs < 1000 ? `${Math.round(abs)} ms` : `${(abs / 1000).toFixed(1)} s`
}
