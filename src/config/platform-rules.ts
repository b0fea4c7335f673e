// Rules for callers of the platform schemes: who may use them (`users`), which `reply:`
// keys each platform takes and needs, the GitHub `prompt`, and the signed `callback` any caller may
// have. Tolerant of wrong shapes like rules.ts: the schema has already reported those.
import { isPlatformScheme, type PlatformScheme } from '../platforms/adapter.ts'
import { childPointer, isObject, type ConfigProblem, type JsonObject } from './problems.ts'
import { secretKey } from './secrets.ts'

const REPLY_KEYS: Readonly<Record<PlatformScheme, { allowed: readonly string[], required: readonly string[] }>> = {
  twilio: { allowed: ['account_sid', 'from', 'api_base'], required: ['account_sid'] },
  line: { allowed: ['token', 'api_base'], required: ['token'] },
  teams: { allowed: ['webhook_url'], required: ['webhook_url'] },
  slack: { allowed: ['token', 'response_type', 'api_base'], required: [] },
  telegram: { allowed: ['token', 'api_base'], required: ['token'] },
  discord: { allowed: ['application_id', 'api_base'], required: [] },
  github: { allowed: [], required: [] }
}

const WHY_REQUIRED: Readonly<Record<string, string>> = {
  account_sid: 'the Messages API is called with it (results that miss the webhook answer)',
  token: 'results are sent with the platform API, which needs it',
  webhook_url: 'results that miss the 5 s answer window are posted to this Workflows webhook'
}

/** @param remember records a secret's key bytes so no two places share one. */
export function platformCallerProblems (id: string, caller: JsonObject, remember: (key: Buffer, path: string) => void): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const base = childPointer('/callers', id)
  const scheme = caller.scheme
  if (typeof scheme !== 'string') return problems
  const platform = isPlatformScheme(scheme)

  if (platform) {
    const users = caller.users
    if (!Array.isArray(users) || users.length === 0) {
      problems.push({ path: `${base}/users`, message: `a ${scheme} caller needs the platform user ids allowed to use it; an empty list would let nobody in (or, worse, be mistaken for everybody)` })
    } else if (scheme !== 'github' && users.includes('*')) {
      problems.push({ path: `${base}/users`, message: `"*" (any user) is only allowed for github; on ${scheme} anyone who finds the bot could run the agent: list the user ids` })
    }
  } else {
    for (const key of ['users', 'reply', 'prompt']) {
      if (caller[key] !== undefined) problems.push({ path: `${base}/${key}`, message: `${key} only applies to platform schemes (${scheme} callers name their user in the request body)` })
    }
  }

  if (platform && isObject(caller.reply)) {
    const { allowed } = REPLY_KEYS[scheme]
    for (const key of Object.keys(caller.reply)) {
      if (!allowed.includes(key)) {
        problems.push({ path: `${base}/reply/${key}`, message: `not a ${scheme} reply setting${allowed.length > 0 ? ` (${scheme} takes ${allowed.join(', ')})` : ` (${scheme} takes none)`}` })
      }
    }
  }
  if (platform) {
    const reply = isObject(caller.reply) ? caller.reply : {}
    for (const key of REPLY_KEYS[scheme].required) {
      if (reply[key] === undefined) problems.push({ path: `${base}/reply/${key}`, message: `required for ${scheme}: ${WHY_REQUIRED[key] ?? 'results cannot be delivered without it'}` })
    }
  }

  if (caller.prompt !== undefined && scheme !== 'github' && platform) {
    problems.push({ path: `${base}/prompt`, message: 'prompt is the template of github callers; other platforms take the user\'s text' })
  }

  if (isObject(caller.callback) && typeof caller.callback.secret === 'string') {
    const result = secretKey('standard-webhooks', caller.callback.secret)
    if ('error' in result) problems.push({ path: `${base}/callback/secret`, message: `secret ${result.error}` })
    else remember(result.key, `${base}/callback/secret`)
  }
  return problems
}
