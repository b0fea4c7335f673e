// Callers with `steer: true`: plain text in a conversation whose run is working goes into that run
// (a user message the agent reads after its current step) instead of waiting as the next turn.
import type { Gateway } from '../gateway.ts'
import type { RunState } from '../runs/run-state.ts'
import type { DispatchHooks, Message, Outcome } from './dispatch.ts'

export async function steerIntoActiveRun (gateway: Gateway, m: Message, prompt: string, text: string, conversation: string | null, hooks: DispatchHooks): Promise<Outcome | null> {
  if (gateway.config.callers[m.caller]?.steer !== true || conversation === null) return null
  // Commands keep their meaning: only text for the default command is a follow-up message.
  if (text.trimStart().startsWith('/')) return null
  const running = await runningIn(gateway, conversation)
  if (running === null || !(await gateway.steerLive(running.id, prompt))) return null
  hooks.record({ event: 'steered', caller: m.caller, user: m.user, run: running.id, ...gateway.auditedPrompt(prompt) })
  return {
    kind: 'notice',
    notice: { kind: 'steered', message: `Added to your running request ${running.id}; its answer will include it.`, runs: [running.snapshot()] }
  }
}

/** The conversation's running run: here, or (shared store) wherever the conversation is held. */
async function runningIn (gateway: Gateway, conversation: string): Promise<RunState | null> {
  const here = gateway.registry.activeInSession(conversation).find((r) => r.status === 'running')
  if (here !== undefined || gateway.cluster === null) return here ?? null
  const holder = await gateway.cluster.store.conversationHolder(conversation).catch(() => null)
  if (holder === null) return null
  const run = await gateway.registry.get(holder.runId).catch(() => null)
  return run?.status === 'running' ? run : null
}
