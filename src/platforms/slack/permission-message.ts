// A permission question as a Block Kit message: what the agent wants to do, when the question
// lapses, the typed commands for whoever prefers them, and Allow / Deny buttons. The tool and
// summary come from the agent, so they go in plain_text, which Slack never reads as markup: a
// summary holding `<!channel>` or `*` must show literally, or the user approves something other
// than what they read.
import type { PermissionAsk } from '../adapter.ts'
import { escapeSlackText } from './mrkdwn.ts'
import { PERMISSION_ACTION_IDS, PERMISSION_BLOCK_ID } from './permission-action.ts'

/** Slack's limit for a text object. */
const MAX_TEXT_CHARS = 3000

export interface SlackMessage {
  /** Shown in notifications and by clients without blocks; escaped by the sender. */
  text: string
  blocks: unknown[]
}

export function permissionMessage (ask: PermissionAsk): SlackMessage {
  const what = ask.summary === '' ? ask.tool : `${ask.tool}: ${ask.summary}`
  return {
    text: ask.text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*The agent asks permission* (run ${escapeSlackText(ask.runId)})` } },
      { type: 'section', text: { type: 'plain_text', text: clip(what), emoji: false } },
      {
        type: 'context',
        elements: [{
          type: 'mrkdwn',
          text: `No answer by ${expiry(ask.expiresAt)} means deny. You can also send /allow ${ask.pid} or /deny ${ask.pid}.`
        }]
      },
      {
        type: 'actions',
        block_id: PERMISSION_BLOCK_ID,
        elements: [
          button('Allow', PERMISSION_ACTION_IDS.allow, ask.pid, 'primary'),
          button('Deny', PERMISSION_ACTION_IDS.deny, ask.pid, 'danger')
        ]
      }
    ]
  }
}

function button (label: string, actionId: string, pid: string, style: 'primary' | 'danger'): Record<string, unknown> {
  return { type: 'button', action_id: actionId, value: pid, style, text: { type: 'plain_text', text: label } }
}

/** Slack's date token shows the time in each reader's own time zone; the fallback is UTC. */
function expiry (expiresAt: string): string {
  const fallback = `${expiresAt.slice(0, 10)} ${expiresAt.slice(11, 16)} UTC`
  const ms = Date.parse(expiresAt)
  if (!Number.isFinite(ms)) return escapeSlackText(fallback)
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${escapeSlackText(fallback)}>`
}

function clip (text: string): string {
  const chars = [...text]
  return chars.length <= MAX_TEXT_CHARS ? text : `${chars.slice(0, MAX_TEXT_CHARS - 1).join('')}…`
}
