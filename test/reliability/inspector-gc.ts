// A full garbage collection of another Node process, on demand, through its inspector (the process
// runs with NODE_OPTIONS=--inspect=127.0.0.1:0 and prints the WebSocket address). Between two major
// collections V8 lets garbage pile up for minutes, so RSS saws up and down by a hundred MiB; memory
// measured right after a forced collection is what the process really keeps, and its trend is the leak.

export const INSPECT_OPTION = '--inspect=127.0.0.1:0'

export interface Collector {
  /** Runs a full collection; resolves with V8's heap in use afterwards, in bytes. */
  collect: () => Promise<number>
  close: () => void
}

/** Connects to the inspector whose address `output` (the process's stderr) announced. */
export async function connectCollector (output: () => string, timeoutMs = 10_000): Promise<Collector> {
  const deadline = Date.now() + timeoutMs
  let url: string | undefined
  while ((url = /Debugger listening on (ws:\/\/\S+)/.exec(output())?.[1]) === undefined) {
    if (Date.now() > deadline) throw new Error(`no inspector address in the output:\n${output().slice(-1000)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const socket = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true })
    socket.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${url}`)), { once: true })
  })
  let next = 1
  const waiting = new Map<number, (result: any) => void>()
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number, result?: unknown, error?: { message: string } }
    if (message.id === undefined) return
    waiting.get(message.id)?.(message.error !== undefined ? { error: message.error.message } : message.result)
    waiting.delete(message.id)
  })
  const call = async (method: string): Promise<any> => {
    const id = next++
    const answer = new Promise((resolve) => waiting.set(id, resolve))
    socket.send(JSON.stringify({ id, method }))
    const result = await Promise.race([answer, new Promise((resolve) => setTimeout(() => resolve({ error: `${method}: no answer within 30 s` }), 30_000))]) as { error?: string }
    if (result?.error !== undefined) throw new Error(`inspector ${method}: ${result.error}`)
    return result
  }
  return {
    collect: async () => {
      await call('HeapProfiler.collectGarbage')
      return Number((await call('Runtime.getHeapUsage')).usedSize)
    },
    close: () => { socket.close() }
  }
}
