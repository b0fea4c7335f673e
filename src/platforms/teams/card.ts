// The message a Workflows "When a Teams webhook request is received" flow posts to its channel:
// one Adaptive Card with the text. Results arrive as new channel posts, not in the reply chain of
// the question, so the first one says whom it answers.

const CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json'

export function resultCard (text: string, forName: string | null): Record<string, unknown> {
  const body: Array<Record<string, unknown>> = []
  if (forName !== null) body.push({ type: 'TextBlock', text: `For ${forName}:`, weight: 'Bolder', wrap: true })
  body.push({ type: 'TextBlock', text, wrap: true })
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: { $schema: CARD_SCHEMA, type: 'AdaptiveCard', version: '1.4', body }
    }]
  }
}
