import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { teamsAdapter } from '../../src/platforms/teams/index.ts'
import type { PermissionAsk, ReplyTarget } from '../../src/platforms/adapter.ts'
import type { CallerConfig, ReplyConfig } from '../../src/config/schema.ts'
import { permissionText } from '../../src/delivery/permission-text.ts'
import { startFakeApi } from '../helpers/fake-api.ts'
import { deliveryContext, deliveryError } from '../helpers/delivery-context.ts'

const USER = '29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw'
const CONVERSATION = '19:8e2b3c4d5f6a4b7c8d9e0f1a2b3c4d5e@thread.tacv2;messageid=1732190000123'
const WORKFLOW_PATH = '/workflows/8d1f0c2b3a4e4f5d9c8b7a6f5e4d3c2b/triggers/manual/paths/invoke'
const SIG = 'sig=Xk3vQ9mN2pL7rT5wY8zA1bC4dE6fG0hJ2kL4mN6pQ8r'
const RUN_ID = 'run_01JD2X7Q9R8S6T5V4W3X2Y1Z0A'
const PID = 'k3m9x2qa'
const TARGET: ReplyTarget = { conversation: CONVERSATION, user_name: 'Ana Lima', reply_to: '1732190000123' }

function ask (patch: Partial<Omit<PermissionAsk, 'text'>> = {}): PermissionAsk {
  const base = { pid: PID, runId: RUN_ID, tool: 'Bash', summary: 'npm test', expiresAt: '2026-11-21T09:25:00.000Z', ...patch }
  return { ...base, text: permissionText(base) }
}

function caller (reply: ReplyConfig = {}): CallerConfig {
  return { scheme: 'teams', secrets: ['vqF0En+Z0ucuRTM/01o2GuhMH3hKKk/N2bOmlM31zaA='], max_age: 300, commands: ['run'], users: [USER], reply }
}

/** Every object in a card, depth first. */
function nodes (value: unknown): Array<Record<string, unknown>> {
  if (Array.isArray(value)) return value.flatMap(nodes)
  if (typeof value !== 'object' || value === null) return []
  return [value as Record<string, unknown>, ...Object.values(value).flatMap(nodes)]
}

function textRuns (card: unknown): string[] {
  return nodes(card).filter((n) => n.type === 'TextRun').map((n) => n.text as string)
}

describe('teams askPermission', () => {
  it('posts the question to the Workflows webhook as a card without buttons, naming whom it asks', async () => {
    const api = await startFakeApi({ status: 202, body: '' })
    const { ctx } = deliveryContext('teams', caller({ webhook_url: `${api.url}${WORKFLOW_PATH}?${SIG}` }), 'dlv_teams_perm')
    await teamsAdapter.askPermission!(ctx, TARGET, ask())

    expect(api.requests).toHaveLength(1)
    const [sent] = api.requests
    expect(sent!.method).toBe('POST')
    expect(sent!.url).toBe(`${WORKFLOW_PATH}?${SIG}`)
    // The URL's sig is the credential; nothing else authorises, and it is not repeated in the card.
    expect(sent!.headers.authorization).toBeUndefined()
    expect(sent!.body).not.toContain(SIG)
    const card = sent!.json as any
    expect(card.type).toBe('message')
    expect(card.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive')
    // No Action.Submit (it could never reach the gateway) and no other action either.
    expect(nodes(card).filter((n) => typeof n.type === 'string' && (n.type as string).startsWith('Action.'))).toEqual([])
    expect(card.attachments[0].content.actions).toBeUndefined()
    expect(textRuns(card)).toEqual([
      'For Ana Lima:',
      `The agent asks permission (run ${RUN_ID}):`,
      'Bash',
      ': ',
      'npm test',
      `To answer, mention this app in the channel with /allow ${PID} or /deny ${PID}. No answer by 09:25 UTC means deny.`
    ])
  })

  it('shows the summary in a TextRun, which Teams never reads as markdown, in monospace', async () => {
    const api = await startFakeApi({ status: 202, body: '' })
    const { ctx } = deliveryContext('teams', caller({ webhook_url: `${api.url}${WORKFLOW_PATH}?${SIG}` }), 'dlv_teams_perm')
    await teamsAdapter.askPermission!(ctx, { ...TARGET, user_name: null }, ask({ summary: 'rm -rf **/*.tmp [x](http://evil.example)' }))
    const runs = nodes(api.requests[0]!.json).filter((n) => n.type === 'TextRun')
    expect(runs.find((r) => r.text === 'rm -rf **/*.tmp [x](http://evil.example)')).toMatchObject({ fontType: 'Monospace' })
    expect(nodes(api.requests[0]!.json).filter((n) => n.type === 'TextBlock')).toEqual([])
    expect(textRuns(api.requests[0]!.json)[0]).toBe(`The agent asks permission (run ${RUN_ID}):`)
  })

  it('fails like a delivery without a Workflows webhook, and when the webhook refuses', async () => {
    const { ctx } = deliveryContext('teams', caller({}), 'dlv_teams_perm')
    const missing = await deliveryError(teamsAdapter.askPermission!(ctx, TARGET, ask()))
    expect(missing.retryable).toBe(false)
    expect(missing.message).toContain('reply.webhook_url')

    const api = await startFakeApi({ status: 400, body: { error: { code: 'InvalidRequestContent' } } })
    const refused = deliveryContext('teams', caller({ webhook_url: `${api.url}${WORKFLOW_PATH}?${SIG}` }), 'dlv_teams_perm')
    const error = await deliveryError(teamsAdapter.askPermission!(refused.ctx, TARGET, ask()))
    expect(error.status).toBe(400)
    expect(error.message).not.toContain(SIG)
  })

  it('the typed answer it asks for arrives as the command, through an ordinary mention', () => {
    const activity = JSON.parse(readFileSync(new URL('../fixtures/platforms/teams/message.json', import.meta.url), 'utf8')) as Record<string, any>
    activity.text = `<at>Agent</at>&nbsp;/allow ${PID}\n`
    const result = teamsAdapter.parse({
      rawBody: Buffer.from(JSON.stringify(activity)),
      headers: { 'content-type': 'application/json' },
      callerId: 'teams',
      caller: caller(),
      now: Date.UTC(2026, 10, 21)
    })
    expect(result).toMatchObject({ kind: 'messages', messages: [{ text: `/allow ${PID}`, user: USER, thread: CONVERSATION }] })
  })
})
