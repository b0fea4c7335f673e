// The words of a permission question in a chat, the same on every platform: what the
// agent wants to do, and the two commands that answer it.
import type { PermissionAsk } from '../platforms/adapter.ts'

export function permissionText (ask: Omit<PermissionAsk, 'text'>): string {
  const what = ask.summary === '' ? ask.tool : `${ask.tool}: ${ask.summary}`
  const until = ask.expiresAt.slice(11, 16)
  return [
    `The agent asks permission (${ask.runId}):`,
    what,
    `Reply /allow ${ask.pid} or /deny ${ask.pid} (no answer by ${until} UTC means deny).`
  ].join('\n')
}
