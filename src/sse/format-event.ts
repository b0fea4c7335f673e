// The wire form of one Server-Sent Event.

/** One event as a stream writes it; a run's own events (RunEvent in src/schemas/run.ts) are the main kind. */
export interface StreamEvent {
  seq: number
  event: string
  data: unknown
}

export function formatEvent (e: StreamEvent): string {
  return `id: ${e.seq}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`
}
