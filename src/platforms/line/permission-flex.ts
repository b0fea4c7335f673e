// A permission question as a Flex message: a buttons template holds only 160 characters of text,
// too few for a 200-character summary. Its postback buttons send `perm:<decision>:<id>` to the
// webhook and show the typed command (`/allow <id>`) in the chat as what the user said, so the chat
// reads the same whether they pressed or typed. Flex text is never read as markup.
import type { PermissionAsk } from '../adapter.ts'
import { permissionButtonValue } from '../permission-button.ts'

/** LINE's limit for a Flex message's altText, shown in notifications and chat lists. */
const MAX_ALT_TEXT = 1500

export function permissionFlex (ask: PermissionAsk): Record<string, unknown> {
  const lines: Array<Record<string, unknown>> = [
    { type: 'text', text: 'The agent asks permission', weight: 'bold', wrap: true },
    { type: 'text', text: ask.tool, weight: 'bold', wrap: true, margin: 'md' }
  ]
  // Flex refuses an empty text component.
  if (ask.summary.trim() !== '') lines.push({ type: 'text', text: ask.summary, wrap: true, size: 'sm' })
  lines.push({
    type: 'text',
    text: `Run ${ask.runId}. No answer by ${ask.expiresAt.slice(11, 16)} UTC means deny. You can also reply /allow ${ask.pid} or /deny ${ask.pid}.`,
    wrap: true,
    size: 'xs',
    color: '#888888',
    margin: 'md'
  })
  return {
    type: 'flex',
    altText: clip(ask.text, MAX_ALT_TEXT),
    contents: {
      type: 'bubble',
      body: { type: 'box', layout: 'vertical', contents: lines },
      footer: {
        type: 'box',
        layout: 'horizontal',
        spacing: 'sm',
        contents: [button('Allow', 'allow', ask.pid, 'primary'), button('Deny', 'deny', ask.pid, 'secondary')]
      }
    }
  }
}

function button (label: string, decision: 'allow' | 'deny', pid: string, style: 'primary' | 'secondary'): Record<string, unknown> {
  return {
    type: 'button',
    style,
    action: { type: 'postback', label, data: permissionButtonValue(decision, pid), displayText: `/${decision} ${pid}` }
  }
}

function clip (text: string, max: number): string {
  const chars = [...text]
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`
}
