// Turns a child's stdout and stderr streams into the launcher's one `output` iterable. Each pipe has at
// most one read outstanding, so a slow consumer pauses the pipes (the kernel then blocks the writer)
// instead of piling chunks up in memory.
import type { Readable } from 'node:stream'
import type { OutputChunk } from './launcher.ts'

export interface Pipe {
  stream: OutputChunk['stream']
  readable: Readable | null | undefined
}

interface Step { index: number, chunk: Uint8Array | null }

export function mergePipes (pipes: readonly Pipe[]): { output: AsyncIterable<OutputChunk>, release (): void } {
  const live = pipes.flatMap((p) => (p.readable == null ? [] : [{ stream: p.stream, readable: p.readable }]))

  async function * read (): AsyncGenerator<OutputChunk> {
    const iterators = live.map((p) => p.readable[Symbol.asyncIterator]())
    // A stream error (or destroy() from release) ends that pipe: the exit status tells the story.
    const next = (index: number): Promise<Step> => iterators[index]!.next().then(
      (r) => ({ index, chunk: r.done === true ? null : toBytes(r.value) }),
      () => ({ index, chunk: null })
    )
    const pending = new Map(live.map((_, i) => [i, next(i)]))
    while (pending.size > 0) {
      const { index, chunk } = await Promise.race(pending.values())
      if (chunk === null) {
        pending.delete(index)
        continue
      }
      pending.set(index, next(index))
      yield { stream: live[index]!.stream, chunk }
    }
  }

  return {
    output: read(),
    release () {
      for (const p of live) p.readable.destroy()
    }
  }
}

function toBytes (value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value
  return Buffer.from(String(value))
}
