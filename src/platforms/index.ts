// The only place where a platform scheme name maps to its adapter.
import type { PlatformAdapter, PlatformScheme } from './adapter.ts'
import { discordAdapter } from './discord/index.ts'
import { githubAdapter } from './github/index.ts'
import { lineAdapter } from './line/index.ts'
import { slackAdapter } from './slack/index.ts'
import { teamsAdapter } from './teams/index.ts'
import { telegramAdapter } from './telegram/index.ts'
import { twilioAdapter } from './twilio/index.ts'

const ADAPTERS: Readonly<Record<PlatformScheme, PlatformAdapter>> = {
  twilio: twilioAdapter,
  line: lineAdapter,
  teams: teamsAdapter,
  slack: slackAdapter,
  telegram: telegramAdapter,
  discord: discordAdapter,
  github: githubAdapter
}

export function adapterFor (scheme: PlatformScheme): PlatformAdapter {
  return ADAPTERS[scheme]
}
