// The host side of an interactive agent (Claude's stream-json input with `--permission-prompt-tool
// stdio`): the prompt is the first user message on stdin, permission questions are
// answered on stdin as the gateway decides them, steering messages are written as further user
// messages, and stdin is closed once every message sent has had its answer, so the agent exits.
import type { AgentInput } from './launcher.ts'
import type { InteractiveProtocol, PermissionQuestion } from './profiles/profile.ts'

export type PermissionDecision = { allow: true } | { allow: false, message: string }

/** What the gateway can do to a running interactive agent. */
export interface RunControl {
  /**
   * Writes a user message into the running session. False when the agent no longer reads messages
   * (its last answer is complete and stdin was closed, or it exited): queue it as the next turn instead.
   */
  steer (text: string): boolean
}

const NO_ONE_TO_ASK: PermissionDecision = { allow: false, message: 'This tool needs permission and no one can be asked for this run.' }

export class InteractiveSession {
  readonly #protocol: InteractiveProtocol
  readonly #prompt: string
  readonly #ask: ((q: PermissionQuestion) => Promise<PermissionDecision>) | undefined
  #input: AgentInput | null = null
  /** User messages written whose answer (turn end) has not come yet. */
  #outstanding = 0
  #pendingQuestions = 0
  #closed = false
  /** Steering messages that came while the process was still being started: written after the prompt. */
  readonly #early: string[] = []

  constructor (protocol: InteractiveProtocol, prompt: string, ask?: (q: PermissionQuestion) => Promise<PermissionDecision>) {
    this.#protocol = protocol
    this.#prompt = prompt
    this.#ask = ask
  }

  /** True while a permission question waits for its answer. */
  get waiting (): boolean { return this.#pendingQuestions > 0 }

  readonly control: RunControl = {
    steer: (text) => {
      if (this.#closed) return false
      if (this.#input === null) {
        this.#early.push(text)
        return true
      }
      if (this.#input.ended) return false
      if (!this.#input.write(this.#protocol.userMessage(text))) return false
      this.#outstanding++
      return true
    }
  }

  start (input: AgentInput): void {
    this.#input = input
    if (!input.write(this.#protocol.userMessage(this.#prompt))) {
      input.end()
      return
    }
    this.#outstanding++
    for (const text of this.#early.splice(0)) {
      if (input.write(this.#protocol.userMessage(text))) this.#outstanding++
    }
  }

  handle (item: { type: 'permission_request', data: PermissionQuestion } | { type: 'turn_end' }): void {
    if (item.type === 'turn_end') {
      this.#outstanding = Math.max(0, this.#outstanding - 1)
      // Closing stdin is how the agent learns there is nothing more to do; it then exits.
      if (this.#outstanding === 0 && this.#pendingQuestions === 0) this.#input?.end()
      return
    }
    this.#answer(item.data)
  }

  /** The process is gone: nothing more is written, and a late answer is dropped. */
  close (): void {
    this.#closed = true
    this.#input?.end()
  }

  #answer (question: PermissionQuestion): void {
    this.#pendingQuestions++
    const asked = this.#ask === undefined ? Promise.resolve(NO_ONE_TO_ASK) : this.#ask(question).catch(() => NO_ONE_TO_ASK)
    void asked.then((decision) => {
      this.#pendingQuestions--
      if (this.#closed) return
      this.#input?.write(this.#protocol.permissionAnswer(question, decision))
    })
  }
}
