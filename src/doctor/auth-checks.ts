// Will the agent be able to log in to its model? Only what reaches the agent counts: it gets PATH,
// HOME, LANG and the names in `agent.env`, nothing else of this environment, and with
// `state: per_caller` its own home per caller. So a key exported in this shell but missing from
// `agent.env`, or a login in ~/.claude while each caller has its own CLAUDE_CONFIG_DIR, are the usual
// "works in my terminal, not in hookgate" cases. Values are never read beyond "set or not".
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Config } from '../config/schema.ts'
import { describeUse, type AgentUse } from './agents-in-use.ts'
import { AUTH_SOURCES, type AuthSources } from './auth-sources.ts'
import { info, ok, warn, type Check } from './check.ts'

export function authChecks (config: Pick<Config, 'state_dir'>, uses: readonly AgentUse[], env: NodeJS.ProcessEnv): Check[] {
  return uses.flatMap((use) => {
    const sources = AUTH_SOURCES[use.agent.profile]
    return sources === undefined ? [] : agentAuth(config.state_dir, use, sources, env)
  })
}

function agentAuth (stateDir: string, use: AgentUse, sources: AuthSources, env: NodeJS.ProcessEnv): Check[] {
  const who = `${use.agent.profile} for ${describeUse(use)}`
  const listed = new Set(use.agent.env)
  const isSet = (name: string): boolean => typeof env[name] === 'string' && env[name] !== ''
  const passed = sources.keys.find((key) => listed.has(key) && isSet(key))
  if (passed !== undefined) return [ok('auth', `${who}: ${passed} is set and passed to the agent through ${use.pointer}/env`)]

  const checks: Check[] = sources.keys.filter((key) => isSet(key) && !listed.has(key)).map((key) => unseen(who, key, use.pointer))
  const listedUnset = sources.keys.filter((key) => listed.has(key) && !isSet(key))
  // The service may set these itself (an EnvironmentFile): say so instead of calling them missing.
  const unsetNote = listedUnset.length === 0 ? '' : `; ${listedUnset.join(', ')} ${listedUnset.length === 1 ? 'is' : 'are'} listed in ${use.pointer}/env but not set in this environment (run doctor with the environment hookgate gets)`
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir()
  const sharedHome = listed.has(sources.homeVar) && isSet(sources.homeVar) ? env[sources.homeVar] as string : join(home, sources.defaultHome)
  if (isSet(sources.homeVar) && !listed.has(sources.homeVar) && use.agent.state === 'shared') {
    checks.push(warn('auth', `${who}: ${sources.homeVar} is set here but not listed in ${use.pointer}/env: the agent uses ${sharedHome} instead`, {
      fix: `add ${sources.homeVar} to ${use.pointer}/env if the agent should use that directory`
    }))
  }
  const keyFix = `set ${sources.keys[0]} in hookgate's environment and list it in ${use.pointer}/env`

  if (use.agent.state === 'shared') {
    const login = sources.loginFile === null ? null : join(sharedHome, sources.loginFile)
    if (login !== null && existsSync(login)) return [...checks, ok('auth', `${who}: logged in (${login})`)]
    return [...checks, missing(sources, `${who}: no credentials found: ${noneOf(sources.keys)} passed through ${use.pointer}/env${login === null ? ` (a login stored by the CLI itself is not checked)` : ` and no login in ${sharedHome}`}${unsetNote}`, {
      fix: `${keyFix}, or log in once as the user hookgate runs as: ${sources.loginCommand(sharedHome)}`
    })]
  }

  // per_caller: each caller's agent has its own home under state_dir/agents/<profile>/<caller>.
  const callerHome = (caller: string): string => join(stateDir, 'agents', use.agent.profile, caller, sources.perCallerHome ?? '')
  const loginFile = sources.loginFile
  const loggedIn = loginFile === null ? [] : use.callers.filter((caller) => existsSync(join(callerHome(caller), loginFile)))
  const without = use.callers.filter((caller) => !loggedIn.includes(caller))
  if (use.callers.length > 0 && without.length === 0) {
    return [...checks, ok('auth', `${who}: logged in for each caller (${join(stateDir, 'agents', use.agent.profile)}/<caller>)`)]
  }
  const sharedLogin = loginFile === null ? null : join(sharedHome, loginFile)
  const doesNotApply = sharedLogin !== null && existsSync(sharedLogin) ? `, so your login in ${sharedLogin} does not apply` : `, so a login in ${sharedHome} would not apply`
  const whom = without.length === 0 ? 'any caller' : `caller${without.length === 1 ? '' : 's'} ${without.join(', ')}`
  return [...checks, missing(sources, `${who}: no credentials for ${whom}: agent.state per_caller gives each caller its own ${sources.homeVar} under ${join(stateDir, 'agents', use.agent.profile)}/<caller>${doesNotApply}; and ${noneOf(sources.keys)} passed through ${use.pointer}/env${unsetNote}`, {
    fix: `${keyFix}, or set ${use.pointer}/state: shared to use the login of the user hookgate runs as, or log in once per caller: ${sources.loginCommand(callerHome(without[0] ?? '<caller>'))}`
  })]
}

function noneOf (keys: readonly string[]): string {
  return keys.length === 1 ? `no ${keys[0] ?? ''} is` : `none of ${keys.join(', ')} is`
}

function unseen (who: string, key: string, pointer: string): Check {
  return warn('auth', `${who}: ${key} is set here but not listed in ${pointer}/env: the agent will not see it`, {
    fix: `add it to the list: env: [${key}] under ${pointer}`
  })
}

function missing (sources: AuthSources, message: string, extra: { fix: string }): Check {
  return sources.missing === 'info' ? info('auth', `${message} (fine for a model that needs no key)`, extra) : warn('auth', message, extra)
}
