// Slowloris: connections that send a request's header one byte at a time, a byte every few seconds,
// and never finish it. Each socket records when it connected and when the gateway closed it, so a
// test can see how long the gateway let a header that never ends hold a connection.
import { connect, type Socket } from 'node:net'

const HEADER = 'POST /v1/hooks/ci HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Webhook-Timestamp: '

export interface SlowSocket {
  connectedAt: number | null
  /** When the gateway closed (or reset) it; null while open. */
  closedAt: number | null
  /** Header bytes sent so far. */
  sent: number
  /** What the gateway said before closing, if anything (Node answers 408 on a header timeout). */
  answer: string
  /** Closed by us (the test ended), not by the gateway. */
  abandoned: boolean
  socket: Socket
}

/** One slow connection to `url`'s host and port; resolves once connected. */
export async function slowSocket (url: string, byteEveryMs: number): Promise<SlowSocket> {
  const target = new URL(url)
  const socket = connect(Number(target.port), target.hostname)
  const slow: SlowSocket = { connectedAt: null, closedAt: null, sent: 0, answer: '', abandoned: false, socket }
  let timer: NodeJS.Timeout | undefined
  socket.on('data', (d: Buffer) => { slow.answer += d.toString('latin1') })
  socket.on('error', () => {})
  socket.on('close', () => {
    clearInterval(timer)
    if (!slow.abandoned) slow.closedAt = Date.now()
  })
  await new Promise<void>((resolve) => {
    socket.once('connect', () => {
      slow.connectedAt = Date.now()
      const drip = (): void => {
        if (socket.destroyed) return
        socket.write(HEADER[slow.sent % HEADER.length]!)
        slow.sent++
      }
      drip()
      timer = setInterval(drip, byteEveryMs)
      resolve()
    })
    socket.once('close', () => resolve())
  })
  return slow
}

/** Ends a socket the gateway never closed, marking it as abandoned (not a gateway close). */
export function abandon (slow: SlowSocket): void {
  if (slow.closedAt !== null) return
  slow.abandoned = true
  slow.socket.destroy()
}
