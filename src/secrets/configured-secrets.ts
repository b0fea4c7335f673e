// Which values are secret: everything the config received through `${NAME}`, every credential it
// holds (caller secrets, reply tokens, callback secrets, the admin and metrics tokens, the Redis
// password), and the values of the environment variables the agent is allowed to see, because an
// agent can print its own API key. A value that is not secret but lands here (a URL given as
// `${NAME}`) is only redacted from agent output and logs: failing closed costs readability, never a
// leak.
import type { Config } from '../config/schema.ts'
import { SecretScrubber } from './secret-scrubber.ts'

export function configuredSecrets (config: Config, env: NodeJS.ProcessEnv): string[] {
  const found: string[] = [...config.secret_values]
  const agentEnv = new Set(config.agent.env)
  if (config.admin_token !== undefined) found.push(config.admin_token)
  if (config.redis.password !== undefined) found.push(config.redis.password)
  if (config.metrics?.token !== undefined) found.push(config.metrics.token)
  const storePassword = urlPassword(config.store)
  if (storePassword !== null) found.push(storePassword)
  for (const caller of Object.values(config.callers)) {
    found.push(...caller.secrets)
    if (caller.reply?.token !== undefined) found.push(caller.reply.token)
    // A Workflows webhook URL carries its own signature: whoever has the URL can post to the channel.
    if (caller.reply?.webhook_url !== undefined) found.push(caller.reply.webhook_url)
    if (caller.callback !== undefined) found.push(caller.callback.secret)
    for (const name of caller.agent?.env ?? []) agentEnv.add(name)
  }
  for (const name of agentEnv) {
    // Own properties only, as the agent's environment is built (src/runner/agent-env.ts).
    const value = Object.hasOwn(env, name) ? env[name] : undefined
    if (typeof value === 'string') found.push(value)
  }
  return found
}

/** The scrubber for one gateway or worker process. */
export function secretScrubberFor (config: Config, env: NodeJS.ProcessEnv): SecretScrubber {
  return new SecretScrubber(configuredSecrets(config, env))
}

function urlPassword (store: string): string | null {
  if (!/^rediss?:\/\//.test(store)) return null
  try {
    const password = new URL(store).password
    return password === '' ? null : decodeURIComponent(password)
  } catch {
    return null
  }
}
