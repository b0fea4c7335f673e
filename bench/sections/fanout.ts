// 5. Fan-out: many SSE clients follow one run (GET /v1/runs/{id}/events) while its agent prints
// thousands of ~230-byte events as fast as it can. Every client must get every event, in order,
// quickly, without the gateway's memory growing with clients × events. A fresh gateway each round,
// so one round's heap does not absorb the next one's growth.
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CALLER, secretOf } from '../lib/hookgate-config.ts'
import { send } from '../lib/http.ts'
import { readRssMiB } from '../lib/proc.ts'
import { serverOptions, type BenchContext, type SectionResult } from '../lib/section.ts'
import { startServer, type Server } from '../lib/servers.ts'
import { signedHeaders } from '../lib/sign.ts'
import { openSse, type SseStream } from '../lib/sse-client.ts'
import { spread } from '../lib/stats.ts'
import { num, ranged } from '../lib/table.ts'

interface ClientTally {
  texts: number
  /** Frames whose id was not the previous id + 1. */
  outOfOrder: number
  lastId: number
  result: boolean
  /** Set only for the client that checks content: lines whose index was not the next one. */
  misplacedLines: number
  finishedAt: number
  error: string | null
}

interface FanoutRound {
  clients: number
  connected: number
  complete: number
  outOfOrder: number
  misplacedLines: number
  completionS: number
  rssBeforeMiB: number
  rssPeakMiB: number
  rssGrowthMiB: number
  errors: string[]
}

const CONNECT_BATCH = 100
/** Longest a round may take from the go signal; clients still open then count as incomplete. */
const DEADLINE_MS = 120_000

function textOf (data: string): string {
  try {
    const parsed = JSON.parse(data) as { text?: unknown }
    return typeof parsed.text === 'string' ? parsed.text : ''
  } catch {
    return ''
  }
}

function follow (url: string, token: string, checkContent: boolean): { stream: SseStream, tally: ClientTally } {
  const tally: ClientTally = { texts: 0, outOfOrder: 0, lastId: 0, result: false, misplacedLines: 0, finishedAt: 0, error: null }
  let nextLine = 0
  const stream = openSse(url, {
    headers: { authorization: `Bearer ${token}` },
    onFrame: (frame) => {
      if (frame.id !== null) {
        if (frame.id !== tally.lastId + 1) tally.outOfOrder++
        tally.lastId = frame.id
      }
      if (frame.event === 'text') {
        tally.texts++
        if (checkContent) {
          for (const line of textOf(frame.data).split('\n')) {
            if (line === '') continue
            if (Number.parseInt(line, 10) !== nextLine) tally.misplacedLines++
            nextLine++
          }
        }
      } else if (frame.event === 'result') {
        tally.result = true
        tally.finishedAt = performance.now()
      }
    }
  })
  void stream.done.then(({ error }) => { tally.error = error })
  return { stream, tally }
}

async function fanoutRound (ctx: BenchContext, server: Server, round: number): Promise<FanoutRound> {
  const { clients, events, lineBytes } = ctx.settings.fanout
  const goFile = join(ctx.scratch, `go-${round}-${randomBytes(4).toString('hex')}`)
  const body = JSON.stringify({ text: `fanout ${events} ${lineBytes} ${goFile}`, id: `fanout-${randomBytes(6).toString('hex')}` })
  const created = await send(`${server.url}/v1/hooks/${CALLER.fanout}`, { method: 'POST', headers: { ...signedHeaders(secretOf(CALLER.fanout), body), prefer: 'respond-async' }, body })
  if (created.status !== 202) throw new Error(`fan-out run not accepted: ${created.status} ${created.body.slice(0, 200)}`)
  const run = JSON.parse(created.body) as { id: string, token: string }
  const url = `${server.url}/v1/runs/${run.id}/events`
  const rssBeforeMiB = readRssMiB(server.pid) ?? Number.NaN

  const followers: Array<ReturnType<typeof follow>> = []
  const statuses: number[] = []
  try {
    // In batches, so the listen backlog never overflows into SYN retries that would skew the timing.
    for (let i = 0; i < clients; i += CONNECT_BATCH) {
      const batch = Array.from({ length: Math.min(CONNECT_BATCH, clients - i) }, (_, j) => follow(url, run.token, i + j === 0))
      followers.push(...batch)
      statuses.push(...await Promise.all(batch.map((f) => f.stream.status)))
    }
    const connected = statuses.filter((s) => s === 200).length
    let rssPeakMiB = rssBeforeMiB
    const sampler = setInterval(() => { rssPeakMiB = Math.max(rssPeakMiB, readRssMiB(server.pid) ?? 0) }, 20)
    const started = performance.now()
    writeFileSync(goFile, '')
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, DEADLINE_MS) })
    await Promise.race([Promise.all(followers.map((f) => f.stream.done)), deadline])
    const ended = performance.now()
    clearTimeout(timer)
    clearInterval(sampler)
    rssPeakMiB = Math.max(rssPeakMiB, readRssMiB(server.pid) ?? 0)
    const tallies = followers.map((f) => f.tally)
    const complete = tallies.filter((t) => t.result && t.texts === events && t.outOfOrder === 0)
    // Until the last result; until every stream had ended (or the deadline) when some never got one.
    const lastFinish = tallies.every((t) => t.result) ? tallies.reduce((m, t) => Math.max(m, t.finishedAt), started) : ended
    const errors = [...new Set(tallies.map((t) => t.error).filter((e): e is string => e !== null))].slice(0, 3)
    return {
      clients,
      connected,
      complete: complete.length,
      outOfOrder: tallies.reduce((s, t) => s + t.outOfOrder, 0),
      misplacedLines: tallies[0]?.misplacedLines ?? 0,
      completionS: (lastFinish - started) / 1000,
      rssBeforeMiB,
      rssPeakMiB,
      rssGrowthMiB: rssPeakMiB - rssBeforeMiB,
      errors
    }
  } finally {
    for (const f of followers) f.stream.close()
  }
}

export async function fanoutSection (ctx: BenchContext): Promise<SectionResult> {
  const { clients, events, lineBytes } = ctx.settings.fanout
  const rounds: FanoutRound[] = []
  for (let round = 0; round < ctx.settings.rounds; round++) {
    const server = await startServer('hookgate', ctx.procs, serverOptions(ctx))
    try {
      ctx.log(`fanout: round ${round + 1}/${ctx.settings.rounds}, ${clients} clients × ${events} events`)
      rounds.push(await fanoutRound(ctx, server, round))
    } finally {
      await server.stop()
    }
  }
  const completion = spread(rounds.map((r) => r.completionS))
  const growth = spread(rounds.map((r) => r.rssGrowthMiB))
  const complete = rounds.reduce((s, r) => s + r.complete, 0)
  const expected = rounds.reduce((s, r) => s + r.clients, 0)
  const rows = [[
    `${num(clients)} × ${num(events)}`,
    `${num(complete)}/${num(expected)}`,
    num(rounds.reduce((s, r) => s + r.outOfOrder, 0)),
    ranged(completion, 2),
    ranged(spread(rounds.map((r) => r.rssBeforeMiB)), 1),
    ranged(spread(rounds.map((r) => r.rssPeakMiB)), 1),
    ranged(growth, 1)
  ]]
  const notes = [
    `Each text line is ${lineBytes} bytes, about ${lineBytes + 40} bytes as an SSE frame. Completion: from the go signal (all clients connected) to the last client's \`result\` event. RSS: gateway VmRSS before the clients connect, and its peak (sampled every 20 ms).`,
    'A client is complete when it received every text event, ids strictly consecutive from 1, and the result; the first client also checks every line arrived in order.'
  ]
  const misplaced = rounds.reduce((s, r) => s + r.misplacedLines, 0)
  if (misplaced > 0) notes.push(`${misplaced} lines arrived out of order at the content-checking client`)
  const errors = [...new Set(rounds.flatMap((r) => r.errors))]
  if (errors.length > 0) notes.push(`client errors: ${errors.join('; ')}`)
  const unconnected = rounds.reduce((s, r) => s + r.clients - r.connected, 0)
  if (unconnected > 0) notes.push(`${unconnected} clients were refused when connecting (limits.sse_clients_per_run?)`)
  return {
    id: 'fanout',
    title: '5. Fan-out: one run, many SSE clients',
    measuredBy: 'bench SSE clients (raw node:http, one connection each) on GET /v1/runs/{id}/events',
    table: { columns: ['clients × events', 'clients complete', 'out-of-order ids', 'completion s', 'RSS before MiB', 'RSS peak MiB', 'RSS growth MiB'], rows },
    goals: [
      { label: 'clients that received every event in order', value: complete, target: expected, unit: '', atLeast: true, text: { value: `${num(complete)}/${num(expected)}`, target: 'all' } },
      { label: 'completion time', value: completion.median, target: 5, unit: ' s', atLeast: false },
      { label: 'gateway RSS growth', value: growth.median, target: 100, unit: ' MiB', atLeast: false }
    ],
    notes,
    data: { clients, events, lineBytes, rounds }
  }
}
