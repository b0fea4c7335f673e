// Findings that do not stop the start but that an operator should see in the log and in
// `hookgate check`: each is a legitimate choice in some setup and a mistake in most.
import { isIP } from 'node:net'
import { childPointer, type ConfigProblem } from './problems.ts'
import type { Config } from './schema.ts'

/** Non-fatal findings about a loaded configuration, each with its path. */
export function configWarnings (config: Config): ConfigProblem[] {
  const warnings: ConfigProblem[] = []
  const warn = (path: string, message: string): void => { warnings.push({ path, message }) }
  const { server, agent } = config

  if (!isLoopback(server.host)) {
    warn('/server/host', `listening on a public interface (${server.host}): put a TLS reverse proxy in front and keep hookgate on 127.0.0.1 behind it`)
    if (server.trust_proxy === true) {
      warn('/server/trust_proxy', 'trust_proxy: true on a public interface lets any client forge X-Forwarded-For and dodge per_address limits: name the proxy\'s address instead')
    }
  }
  if (server.public_url?.startsWith('http://') === true && !isLoopback(new URL(server.public_url).hostname)) {
    warn('/server/public_url', 'public_url is plain http: run tokens in answers can be read on the way; use https')
  }
  if (Object.keys(config.callers).length === 0) {
    warn('/callers', 'no callers are configured: every request will be refused')
  }
  for (const [id, caller] of Object.entries(config.callers)) {
    const base = childPointer('/callers', id)
    if (caller.max_age === 0 && (caller.scheme === 'hmac-sha256' || caller.scheme === 'standard-webhooks')) {
      warn(`${base}/max_age`, 'max_age 0: requests carry no signed timestamp, so there is no replay window and a captured request stays valid (only requests that repeat a body `id` are deduplicated)')
    }
    // A github caller runs its `prompt` template, not commands.
    if (caller.scheme !== 'github' && (caller.commands ?? []).length === 0 && caller.default_command === undefined) {
      warn(`${base}/commands`, 'this caller has no commands and no default_command: it can only use built-ins such as /help and can never start a run')
    }
  }
  if (agent.profile === 'command' && agent.argv.length > 0 && !agent.argv.includes('{prompt}')) {
    warn('/agent/argv', 'argv has no "{prompt}" element: the request text is not passed to the agent as an argument')
  }
  if (config.demo) {
    warn('/agent/profile', 'profile "demo": answers come from the built-in demo agent, not a real one')
  }
  return warnings
}

/** `localhost`, 127.0.0.0/8 and ::1 (also IPv4-mapped); anything else is reachable from elsewhere. */
export function isLoopback (host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (bare === 'localhost') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare)
  return false
}
