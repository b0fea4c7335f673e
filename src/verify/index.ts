// The only place where a caller's `scheme` name maps to an implementation. Adding a scheme means
// one file next to this one and one case below.
import type { Verifier } from './verifier.ts'
import { discordVerifier } from './discord.ts'
import { failClosed } from './fail-closed.ts'
import { githubVerifier } from './github.ts'
import { hmacSha256Verifier } from './hmac-sha256.ts'
import { lineVerifier } from './line.ts'
import { slackVerifier } from './slack.ts'
import { standardWebhooksVerifier } from './standard-webhooks.ts'
import { teamsVerifier } from './teams.ts'
import { telegramVerifier } from './telegram.ts'
import { twilioVerifier } from './twilio.ts'

/** @throws Error for a scheme this build does not implement, so a config naming one fails at start-up. */
export function createVerifier (scheme: string): Verifier {
  switch (scheme) {
    case 'hmac-sha256':
      return failClosed(hmacSha256Verifier)
    case 'standard-webhooks':
      return failClosed(standardWebhooksVerifier)
    case 'github':
      return failClosed(githubVerifier)
    case 'slack':
      return failClosed(slackVerifier)
    case 'twilio':
      return failClosed(twilioVerifier)
    case 'line':
      return failClosed(lineVerifier)
    case 'teams':
      return failClosed(teamsVerifier)
    case 'telegram':
      return failClosed(telegramVerifier)
    case 'discord':
      return failClosed(discordVerifier)
    default:
      throw new Error(`unknown signature scheme ${JSON.stringify(String(scheme).slice(0, 64))}`)
  }
}
