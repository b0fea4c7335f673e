// Agent sessions across runs: which session a run continues, which it started, and
// when a conversation is over (idle too long, too old, or /new). Kept in the run store, so a restart
// continues the same conversations.
import { randomUUID } from 'node:crypto'
import type { Config } from '../config/schema.ts'
import type { AgentProfile, SessionPlan } from '../runner/profiles/profile.ts'
import type { RunStore } from '../store/run-store.ts'

export interface SessionServiceOptions {
  store: RunStore
  limits: Config['sessions']
  now: () => number
}

export class SessionService {
  readonly #o: SessionServiceOptions

  constructor (options: SessionServiceOptions) {
    this.#o = options
  }

  /**
   * The plan for a run of conversation `key` with `profile`: resume the stored session while it is
   * fresh, else start a new one (with an id chosen here when the CLI lets us choose it).
   */
  async plan (key: string | null, profile: AgentProfile): Promise<SessionPlan | null> {
    if (key === null || profile.sessions === 'none') return null
    const stored = await this.#o.store.getSession(key)
    const now = this.#o.now()
    const fresh = stored !== null &&
      stored.agentSession !== '' &&
      stored.profile === profile.name &&
      now - stored.lastUsedAt < this.#o.limits.idle * 1000 &&
      now - stored.createdAt < this.#o.limits.max_age * 1000
    if (fresh) return { mode: 'resume', id: stored.agentSession }
    return profile.sessions === 'choose' ? { mode: 'new', id: randomUUID() } : { mode: 'new' }
  }

  /**
   * After a run: the session it worked in is the conversation's from now on. A resumed session keeps
   * its start time (so max_age counts from the first message); a new one starts now.
   */
  async record (key: string | null, caller: string, profile: AgentProfile, plan: SessionPlan | null, agentSession: string | null, startedAt: number): Promise<void> {
    if (key === null || plan === null || agentSession === null) return
    const now = this.#o.now()
    const stored = await this.#o.store.getSession(key)
    // `/new` while this run worked: the conversation was ended on purpose, and stays ended.
    if (stored !== null && stored.agentSession === '' && stored.lastUsedAt >= startedAt) return
    await this.#o.store.putSession({
      key,
      caller,
      profile: profile.name,
      agentSession,
      createdAt: plan.mode === 'resume' && plan.id === agentSession && stored?.agentSession === agentSession ? stored.createdAt : now,
      lastUsedAt: now
    })
  }

  /**
   * `/new`: the next run of this conversation starts a fresh session, even if a run of it is still
   * working (its session is not stored when it ends). Kept as an empty marker rather than deleted,
   * so that run can tell. True when there was a session.
   */
  async reset (key: string | null): Promise<boolean> {
    if (key === null) return false
    const stored = await this.#o.store.getSession(key)
    const now = this.#o.now()
    await this.#o.store.putSession({ key, caller: stored?.caller ?? '', profile: stored?.profile ?? '', agentSession: '', createdAt: now, lastUsedAt: now })
    return stored !== null && stored.agentSession !== ''
  }
}
