// A run's private temporary directory (policy files, the sandbox's writable scratch), created on first
// use: most runs never need one, and a mkdtemp plus a recursive removal per run is measurable work on
// the gateway's thread when hundreds of runs start a second.
import { mkdtempSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export class ScratchDir {
  #path: string | null = null

  get path (): string {
    this.#path ??= mkdtempSync(join(tmpdir(), 'hookgate-run-'))
    return this.#path
  }

  /** Removes it, if it was ever created; never throws. */
  async remove (): Promise<void> {
    if (this.#path === null) return
    await rm(this.#path, { recursive: true, force: true }).catch(() => {})
  }
}
