// A permission question as a Discord message: what the agent wants to do, when the question lapses
// (a timestamp Discord shows in each reader's time zone), the typed commands, and an action row
// with Allow and Deny buttons.
import type { PermissionAsk } from '../adapter.ts'
import { fitOneMessage } from './limits.ts'
import { escapeMarkdown } from './markdown-escape.ts'
import { NO_MENTIONS } from './no-mentions.ts'
import { permissionButtonValue } from '../permission-button.ts'

const ACTION_ROW = 1
const BUTTON = 2
const SUCCESS = 3
const DANGER = 4

export function permissionMessage (ask: PermissionAsk): Record<string, unknown> {
  const what = ask.summary === '' ? `**${escapeMarkdown(ask.tool)}**` : `**${escapeMarkdown(ask.tool)}**: ${escapeMarkdown(ask.summary)}`
  const content = [
    `The agent asks permission (run ${escapeMarkdown(ask.runId)}):`,
    what,
    `No answer by ${expiry(ask.expiresAt)} means deny. You can also use /allow ${ask.pid} or /deny ${ask.pid}.`
  ].join('\n')
  return {
    content: fitOneMessage(content),
    allowed_mentions: NO_MENTIONS,
    components: [{
      type: ACTION_ROW,
      components: [
        { type: BUTTON, style: SUCCESS, label: 'Allow', custom_id: permissionButtonValue('allow', ask.pid) },
        { type: BUTTON, style: DANGER, label: 'Deny', custom_id: permissionButtonValue('deny', ask.pid) }
      ]
    }]
  }
}

function expiry (expiresAt: string): string {
  const ms = Date.parse(expiresAt)
  return Number.isFinite(ms) ? `<t:${Math.floor(ms / 1000)}:t>` : escapeMarkdown(`${expiresAt.slice(11, 16)} UTC`)
}
