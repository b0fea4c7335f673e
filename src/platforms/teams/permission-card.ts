// A permission question as the Adaptive Card a Workflows flow posts to its channel. The tool and
// summary come from the agent and go in TextRuns, which Teams never reads as markdown: the user
// must approve exactly what they read. The card has no buttons (see ask-permission.ts for why), so
// it says how to answer by mentioning the outgoing webhook, the only way a message reaches us.
import type { PermissionAsk } from '../adapter.ts'

const CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json'

export function permissionCard (ask: PermissionAsk, forName: string | null): Record<string, unknown> {
  const body: Array<Record<string, unknown>> = []
  if (forName !== null) body.push({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: `For ${forName}:`, weight: 'Bolder' }] })
  body.push({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: `The agent asks permission (run ${ask.runId}):` }] })
  body.push({
    type: 'RichTextBlock',
    inlines: [
      { type: 'TextRun', text: ask.tool, weight: 'Bolder' },
      ...(ask.summary === '' ? [] : [{ type: 'TextRun', text: ': ' }, { type: 'TextRun', text: ask.summary, fontType: 'Monospace' }])
    ]
  })
  body.push({
    type: 'RichTextBlock',
    inlines: [{
      type: 'TextRun',
      text: `To answer, mention this app in the channel with /allow ${ask.pid} or /deny ${ask.pid}. ` +
        `No answer by ${ask.expiresAt.slice(11, 16)} UTC means deny.`
    }]
  })
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: { $schema: CARD_SCHEMA, type: 'AdaptiveCard', version: '1.4', body }
    }]
  }
}
