// How exposed the listener is. hookgate speaks plain HTTP; anything beyond this machine should reach it
// through a TLS reverse proxy, whose public https:// address is `server.public_url`. Twilio signs that
// public URL, so without it every Twilio request fails verification as soon as a proxy is in between.
import { isLoopback } from '../config/warnings.ts'
import type { Config } from '../config/schema.ts'
import { fail, ok, warn, type Check } from './check.ts'

export function networkChecks (config: Pick<Config, 'server' | 'callers'>): Check[] {
  const { host, port, public_url: publicUrl, trust_proxy: trustProxy } = config.server
  const checks: Check[] = []
  const https = publicUrl?.startsWith('https://') === true
  const where = `listens on ${host.includes(':') ? `[${host}]` : host}:${port}`
  if (isLoopback(host)) {
    checks.push(ok('network', `${where}: this machine only${publicUrl === undefined ? '' : `; callers use ${publicUrl}`}`))
  } else if (https) {
    checks.push(ok('network', `${where}, reachable from other machines; callers use ${publicUrl} (keep the plain port reachable by the proxy only)`))
  } else {
    checks.push(warn('network', `${where}: reachable from other machines over plain HTTP${publicUrl === undefined ? ' and no server.public_url' : `, and public_url ${publicUrl} is not https`}`, {
      fix: 'put a TLS reverse proxy in front and set server.public_url to its https:// address; then listen on 127.0.0.1 only'
    }))
  }
  if (trustProxy === true) {
    checks.push(warn('network', 'trust_proxy: true believes X-Forwarded-For from any client: anyone can pick the address that per_address limits count', {
      fix: 'set server.trust_proxy to the address of your reverse proxy (for example 127.0.0.1)'
    }))
  }
  const twilio = Object.entries(config.callers).filter(([, caller]) => caller.scheme === 'twilio').map(([id]) => id)
  if (twilio.length > 0 && publicUrl === undefined) {
    checks.push(fail('network', `twilio caller${twilio.length === 1 ? '' : 's'} ${twilio.join(', ')} but no server.public_url: Twilio signs the public URL it posts to, which hookgate cannot know behind a proxy`, {
      fix: 'set server.public_url to the https:// address Twilio posts to (the part before /v1/hooks/…)'
    }))
  }
  return checks
}
