// SQLite store figures (a bench: it prints numbers, it asserts nothing). Run:
//   node bench/store-writes.ts [N]
// Times the writes on a run's way through the gateway: the durable acceptance (run row and
// idempotency key, synchronous=FULL), a batch of 50 events, a state update (synchronous=NORMAL) and a
// replay lookup. The database is in os.tmpdir(); durable figures depend entirely on its file system.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Run } from '../src/schemas/run.ts'
import { SqliteStore } from '../src/store/sqlite-store.ts'

const n = Number(process.argv[2] ?? 1000)
const dir = mkdtempSync(join(tmpdir(), 'hookgate-bench-store-'))
const store = new SqliteStore(dir)
const request = { caller: 'ci', user: null, thread: null, command: 'run', prompt: 'x'.repeat(200), tools: { allow: [], deny: [] } }
const run = (id: string): Run => ({
  id, caller: 'ci', user: null, thread: null, command: 'run', status: 'queued', created_at: new Date().toISOString(),
  started_at: null, finished_at: null, duration_ms: null, exit_code: null, output: '', truncated: false, error: null,
  session: null, cost_usd: null, turns: null, links: { self: `/v1/runs/${id}`, events: `/v1/runs/${id}/events`, cancel: `/v1/runs/${id}/cancel` }
})

async function time (label: string, work: (i: number) => Promise<unknown>): Promise<void> {
  const started = performance.now()
  for (let i = 0; i < n; i++) await work(i)
  const ms = performance.now() - started
  console.log(`${label.padEnd(40)} ${(ms / n).toFixed(3)} ms/op  ${Math.round(n / (ms / 1000))} op/s`)
}

try {
  console.log(`${n} operations each, database in ${dir}`)
  await time('createRun (durable, 1 key)', (i) => store.createRun({ run: run(`run_${i}`), request, tokenHash: 'ab'.repeat(32), keys: [`sig:ci:${i}`], now: Date.now(), keysExpireAt: Date.now() + 7 * 864e5 }))
  await time('appendEvents (batch of 50 text events)', (i) => store.appendEvents('run_0', Array.from({ length: 50 }, (_, j) => ({ seq: i * 50 + j + 1, event: 'text' as const, data: { text: 'a line of agent output '.repeat(3) } })), 1))
  await time('updateRun (normal)', (i) => store.updateRun({ ...run(`run_${i}`), status: 'running' }))
  await time('updateRun (durable)', (i) => store.updateRun({ ...run(`run_${i}`), status: 'succeeded', finished_at: new Date().toISOString() }, { durable: true }))
  await time('findByKeys (replay lookup)', (i) => store.findByKeys([`sig:ci:${i}`], Date.now()))
} finally {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
}
