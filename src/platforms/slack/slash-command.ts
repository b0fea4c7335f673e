// A slash command (`/agent fix the tests`, or `/status` when the Slack app registers it) as a
// hookgate message. Slack's own command syntax maps onto ours: a Slack command named like a
// built-in or a caller command is that command; any other (the app's catch-all, e.g. `/agent`)
// passes its text through, so `/agent /status` works too.
import type { InboundRequest, ParseResult } from '../adapter.ts'
import { isBuiltin } from '../../policy/builtins.ts'
import { asId } from './fields.ts'
import { readSlackText } from './mrkdwn.ts'
import { isAllowedResponseUrl } from './response-url.ts'

// Slack's rule for command names: a slash, then up to 32 characters without spaces.
const COMMAND = /^\/[^\s/]{1,32}$/u

export function parseSlashCommand (form: URLSearchParams, req: InboundRequest): ParseResult {
  // Slack sends each field once; two copies mean a body that was not built by Slack.
  for (const name of ['command', 'text', 'user_id', 'channel_id', 'response_url', 'trigger_id']) {
    if (form.getAll(name).length > 1) return { kind: 'invalid', reason: 'duplicate_field' }
  }
  const command = form.get('command')
  if (command === null || !COMMAND.test(command)) return { kind: 'invalid', reason: 'bad_command' }
  const user = asId(form.get('user_id'))
  if (user === null) return { kind: 'invalid', reason: 'bad_user_id' }
  const channel = asId(form.get('channel_id'))
  if (channel === null) return { kind: 'invalid', reason: 'bad_channel_id' }
  const eventId = asId(form.get('trigger_id'))
  if (eventId === null) return { kind: 'invalid', reason: 'bad_trigger_id' }
  const responseUrl = form.get('response_url')
  if (responseUrl === null || !isAllowedResponseUrl(responseUrl, req.caller.reply?.api_base)) {
    return { kind: 'invalid', reason: 'bad_response_url' }
  }

  const name = command.slice(1).toLowerCase()
  const args = readSlackText(form.get('text') ?? '', { dropMentions: false })
  return {
    kind: 'messages',
    messages: [{
      text: commandText(name, args, req.caller.commands ?? []),
      user,
      thread: channel,
      eventId,
      target: { via: 'response_url', response_url: responseUrl, channel }
    }]
  }
}

function commandText (name: string, args: string, commands: readonly string[]): string {
  if (isBuiltin(name) || commands.includes(name)) return args === '' ? `/${name}` : `/${name} ${args}`
  // A bare catch-all command is the user asking what they can do.
  return args === '' ? '/help' : args
}
