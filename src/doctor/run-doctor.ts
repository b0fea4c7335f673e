// Every check of `hookgate doctor`, in the order they are printed. The slow ones (agent versions,
// the bubblewrap probe, Redis) run side by side; nothing here changes the machine, and nothing goes
// out on the network except to the configured Redis.
import type { Config } from '../config/schema.ts'
import { agentChecks } from './agent-checks.ts'
import { agentsInUse } from './agents-in-use.ts'
import { authChecks } from './auth-checks.ts'
import type { Check } from './check.ts'
import { clockChecks } from './clock-checks.ts'
import { loadDoctorConfig } from './config-checks.ts'
import { directoryChecks } from './directory-checks.ts'
import { networkChecks } from './network-checks.ts'
import { nodeVersionCheck } from './node-version.ts'
import type { RedisReport } from './redis-checks.ts'
import { sandboxChecks } from './sandbox-check.ts'
import { stateChecks } from './state-checks.ts'

export interface DoctorInput {
  /** `--config`, if given. */
  readonly configFlag: string | undefined
  readonly env: NodeJS.ProcessEnv
  readonly cwd: string
}

export async function runDoctor (input: DoctorInput): Promise<Check[]> {
  const loaded = loadDoctorConfig(input.configFlag, input.env, input.cwd)
  const head = [nodeVersionCheck(), ...loaded.checks]
  if (loaded.config === null) return head
  const config = loaded.config
  const uses = agentsInUse(config)
  const [agents, sandbox, redis] = await Promise.all([agentChecks(config, uses, input.env), sandboxChecks(uses, input.env), redisReport(config)])
  const notMeasured = redis === null ? 'doctor makes no outbound calls' : 'Redis did not answer'
  const agentSide = [...agents, ...directoryChecks(config, uses), ...sandbox]
  return [
    ...head,
    ...(config.execution === 'workers' ? agentSide.map(onWorkersOnly) : agentSide),
    ...authChecks(config, uses, input.env),
    ...stateChecks(config),
    ...networkChecks(config),
    ...clockChecks(config, redis?.clock ?? null, notMeasured),
    ...redis?.checks ?? []
  ]
}

/**
 * With `execution: workers` a gateway never starts an agent, and the same config serves the workers,
 * so doctor cannot tell which machine it is on: an agent that cannot run here is a warning, which
 * names what it would be on a worker.
 */
function onWorkersOnly (check: Check): Check {
  if (check.status !== 'fail') return check
  return { ...check, status: 'warn', message: `${check.message} (a failure on a machine that runs \`hookgate worker\`)` }
}

/** The Redis client is loaded only for a redis store, as the gateway itself does. */
async function redisReport (config: Config): Promise<RedisReport | null> {
  if (!/^rediss?:\/\//.test(config.store)) return null
  const { redisChecks } = await import('./redis-checks.ts')
  return await redisChecks(config)
}
