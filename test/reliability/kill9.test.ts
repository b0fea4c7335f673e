// G-CHAOS-1: kill -9 the real gateway at random points of its runs' lives (requests in flight, runs
// starting, a full queue with running agents and their grandchildren, a setsid escapee among them),
// restart it on the same state directory, and check that nothing was lost, nothing doubled, nothing
// left running and no agent of the dead gateway survives.
import { afterEach, describe, expect, it } from 'vitest'
import { dbStatuses, readAudit } from '../helpers/conservation.ts'
import {
  chaosConfig, cleanupGatewayProcesses, descendantsAlive, isAlive, listAllRuns, postSigned, sleep,
  spawnRecords, startGatewayProcess, waitFor, type Answer, type GatewayProcess
} from '../helpers/gateway-process.ts'
import { acceptedRuns, body, describeProcesses, expectBooksBalance, FINAL, getRun, seededRandom, survivors } from './util.ts'

afterEach(cleanupGatewayProcesses)

function dbHas (stateDir: string, id: string): string {
  try { return dbStatuses(stateDir).byRun?.get(id) ?? 'no row' } catch (err) { return (err as Error).message }
}

/** G-CHAOS-1 asks for 5 in CI (about 2 s each here) and 50 nightly (HOOKGATE_CHAOS_REPS=50). */
const REPS = Math.max(1, Number(process.env.HOOKGATE_CHAOS_REPS ?? 5))
const SEED = Number(process.env.HOOKGATE_CHAOS_SEED ?? Date.now() % 1_000_000)
/** Long enough that no run finishes by itself during a repetition. */
const RUN_MS = 20_000
const CONCURRENCY = 3
const QUEUE = 5

type Mode = 'in-flight' | 'starting' | 'steady'
const MODES: Mode[] = ['steady', 'in-flight', 'starting']

/** The 8 requests of one repetition: 3 will run and 5 wait; the first leaves a setsid grandchild. */
function load (rep: number): string[] {
  return [
    body(`rep${rep}-0 ms=${RUN_MS} grandchild=setsid ignore-term`),
    body(`rep${rep}-1 ms=${RUN_MS} grandchild=group`),
    body(`rep${rep}-2 ms=${RUN_MS} ignore-term`),
    ...Array.from({ length: 5 }, (_, i) => body(`rep${rep}-${i + 3} ms=${RUN_MS}`))
  ]
}

describe('kill -9 at random points, then restart on the same state directory', () => {
  it(`every run that was running or queued is interrupted within 5 s, none is lost or doubled, no agent survives, the audit chain verifies (${REPS} repetitions, seed ${SEED})`, async () => {
    const random = seededRandom(SEED)
    /** Runs accepted in earlier repetitions. */
    const previous = new Set<string>()
    let gw: GatewayProcess = await startGatewayProcess(chaosConfig({ concurrency: CONCURRENCY, queue: QUEUE, shutdownGrace: 2 }))
    const figures: Array<{ mode: Mode, accepted: number, ms: number, survivors: number, balanced: boolean, notInterrupted: number }> = []
    for (let rep = 0; rep < REPS; rep++) {
      const mode = MODES[rep % MODES.length]!
      const where = `rep ${rep} (${mode}, seed ${SEED})`
      const bodies = load(rep)
      const answers: Array<Answer | null> = bodies.map(() => null)
      const sent = bodies.map((b, i) => postSigned(gw.url, b, { async: true }).then((a) => { answers[i] = a }, () => {}))
      /** Before the kill, in steady mode: which runs were running and which queued. */
      let wasRunning = new Set<string>()
      let wasQueued = new Set<string>()

      if (mode === 'in-flight') {
        // Requests still arriving: some not yet read, some verified, some accepted.
        await sleep(Math.floor(random() * 40))
      } else if (mode === 'starting') {
        // The first answers are out and agents are being spawned right now.
        await Promise.race([Promise.any(sent.map(async (p, i) => { await p; if (answers[i] === null) throw new Error('no answer') })), sleep(3000)])
        await sleep(Math.floor(random() * 60))
      } else {
        await Promise.all(sent)
        expect(answers.map((a) => a?.status), `${where}: 3 running + 5 queued are all accepted`).toEqual(bodies.map(() => 202))
        const ids = answers.map((a) => String(a!.body!.id))
        // Wait until the 3 run and the 5 wait.
        const states = await waitFor(async () => {
          const runs = await Promise.all(ids.map(async (id) => (await getRun(gw.url, id)).run?.status))
          return runs.filter((s) => s === 'running').length === CONCURRENCY && spawnRecords(gw).filter((s) => s.prompt.includes(`rep${rep}-`)).length === CONCURRENCY ? runs : undefined
        }, 8000).catch(() => null)
        expect(states, `${where}: 3 runs running and their agents started`).not.toBeNull()
        wasRunning = new Set(ids.filter((_, i) => states?.[i] === 'running'))
        wasQueued = new Set(ids.filter((_, i) => states?.[i] === 'queued'))
        expect(wasQueued.size, `${where}: 5 runs queued`).toBe(QUEUE)
        // The queue is full: one more is refused with 503 and Retry-After.
        const extra = await postSigned(gw.url, body(`rep${rep}-extra ms=${RUN_MS}`), { async: true })
        expect.soft({ status: extra.status, code: extra.body?.code, retryAfter: extra.headers.get('retry-after') !== null }, `${where}: a 9th request`)
          .toEqual({ status: 503, code: 'HOOKGATE_OVERLOADED', retryAfter: true })
        // Positive control: the marker finds every running agent, and the setsid escapee too.
        const marked = descendantsAlive(wasRunning)
        expect.soft([...wasRunning].filter((id) => !marked.some((p) => p.value === id)), `${where}: running agents carry HOOKGATE_RUN_ID (found: ${describeProcesses(marked).join('; ')})`).toEqual([])
        const escapee = spawnRecords(gw).find((s) => s.prompt.includes(`rep${rep}-0 `))
        expect(escapee?.grandchildren.length, `${where}: the setsid grandchild started`).toBe(1)
        const escapeePid = escapee!.grandchildren[0]!
        expect(isAlive(escapeePid), `${where}: the setsid grandchild is alive before the kill`).toBe(true)
        expect.soft(marked.some((p) => p.pid === escapeePid), `${where}: the setsid grandchild carries HOOKGATE_RUN_ID`).toBe(true)
        await sleep(Math.floor(random() * 300))
      }

      gw.kill('SIGKILL')
      const died = await gw.exited
      expect(died.signal, `${where}: the gateway died of SIGKILL`).toBe('SIGKILL')
      await Promise.all(sent)
      const answered = answers.filter((a) => a?.status === 202).map((a) => String(a!.body!.id))

      const restartedAt = Date.now()
      gw = await gw.restart()
      // Within 5 s of the restart: nothing queued or running, every accepted run visible, no survivor.
      const check = async () => {
        const accepted = acceptedRuns(readAudit(gw.stateDir))
        const ids = new Set([...accepted, ...answered])
        const runs = new Map(await Promise.all([...ids].map(async (id) => [id, await getRun(gw.url, id)] as const)))
        const invisible = [...ids].filter((id) => runs.get(id)!.status !== 200)
          .map((id) => `${id} (GET ${runs.get(id)!.status}; client got 202: ${answered.includes(id) ? 'yes' : 'no'}; in the database: ${dbHas(gw.stateDir, id)})`)
        const active = [...ids].filter((id) => runs.get(id)!.status === 200 && !FINAL.includes(String(runs.get(id)!.run?.status)))
        const listedActive = [...await listAllRuns(gw.url, { status: 'running' }), ...await listAllRuns(gw.url, { status: 'queued' })].map((r) => `${r.id}:${r.status}`)
        const left = survivors(gw, ids)
        return { accepted, ids, runs, invisible, active, listedActive, survivorsByRunId: describeProcesses(left.byRunId), survivorsByTag: describeProcesses(left.byTag) }
      }
      let state = await check()
      while (Date.now() - restartedAt < 5000 && (state.active.length + state.listedActive.length + state.survivorsByRunId.length + state.survivorsByTag.length + state.invisible.length) > 0) {
        await sleep(100)
        state = await check()
      }
      const within = Date.now() - restartedAt
      expect.soft(state.invisible, `${where}: every accepted run is visible after the restart`).toEqual([])
      expect.soft(state.active.map((id) => `${id}:${state.runs.get(id)!.run?.status}`), `${where}: no run left queued or running ${within} ms after the restart`).toEqual([])
      expect.soft(state.listedActive, `${where}: GET /v1/runs lists nothing queued or running`).toEqual([])
      expect.soft(state.survivorsByRunId, `${where}: no process with HOOKGATE_RUN_ID of those runs survives`).toEqual([])
      expect.soft(state.survivorsByTag, `${where}: no agent process (or grandchild) of the old gateway survives`).toEqual([])
      // Every run accepted in this repetition was running or queued: each is interrupted, once, saying why.
      const records = readAudit(gw.stateDir)
      const thisRep = [...state.accepted].filter((id) => !previous.has(id))
      expect.soft(answered.filter((id) => !state.accepted.has(id)), `${where}: every 202 has an audit \`accepted\` record`).toEqual([])
      const wrongApi: unknown[] = []
      const wrongAudit: unknown[] = []
      for (const id of thisRep) {
        const run = state.runs.get(id)!.run
        const was = wasRunning.has(id) ? 'running' : wasQueued.has(id) ? 'queued' : 'running or queued'
        // A run that was running says "crash" (and not "not started"); one that was queued says "not started".
        const why = wasRunning.has(id) ? /^(?!.*not started).*crash/is : wasQueued.has(id) ? /not started/i : /crash|not started/i
        if (run?.status !== 'interrupted' || !why.test(String(run?.error))) wrongApi.push({ id, was, status: run?.status, error: run?.error })
        const finals = records.filter((r) => r.run === id && ['finished', 'cancelled', 'interrupted'].includes(r.event))
        // A run that was running has its `started` record (with the agent's pid); a queued one has none.
        const started = records.filter((r) => r.run === id && r.event === 'started').length
        const startedOk = wasRunning.has(id) ? started === 1 : wasQueued.has(id) ? started === 0 : started <= 1
        if (finals.length !== 1 || finals[0]!.event !== 'interrupted' || !why.test(String(finals[0]!.reason)) || !startedOk) {
          wrongAudit.push({ id, was, started, finals: finals.map((r) => ({ event: r.event, reason: r.reason })) })
        }
      }
      expect.soft(thisRep.length, `${where}: runs accepted`).toBeGreaterThanOrEqual({ steady: 8, starting: 1, 'in-flight': 0 }[mode])
      expect.soft(wrongApi, `${where}: every run that was running (error "crash") or queued (error "not started") is interrupted, by the API`).toEqual([])
      expect.soft(wrongAudit, `${where}: … and has exactly one final audit record, \`interrupted\` with that reason (and a \`started\` record if it was running)`).toEqual([])
      for (const id of thisRep) previous.add(id)
      const books = await expectBooksBalance(gw)
      figures.push({ mode, accepted: thisRep.length, ms: within, survivors: state.survivorsByRunId.length + state.survivorsByTag.length, balanced: books?.problems.length === 0, notInterrupted: wrongApi.length })
      // No run ever finishes by itself here: every run so far is interrupted, in the database too.
      expect.soft(books?.db.counts, `${where}: runs in the database by status`).toEqual({ succeeded: 0, failed: 0, timed_out: 0, cancelled: 0, interrupted: previous.size, queued: 0, running: 0 })
      // Never auto-rerun: the restarted gateway starts no agent of an interrupted run.
      await sleep(200)
      const rerun = spawnRecords(gw).filter((s) => s.ppid === gw.pid)
      expect.soft(rerun.map((s) => `${s.run} ${s.prompt.slice(0, 40)}`), `${where}: nothing re-run after the restart`).toEqual([])
    }
    console.log(`G-CHAOS-1: ${REPS} repetitions (seed ${SEED}; ${MODES.map((m) => `${figures.filter((f) => f.mode === m).length} ${m}`).join(', ')}), ` +
      `${figures.reduce((n, f) => n + f.accepted, 0)} runs accepted, ${figures.reduce((n, f) => n + f.notInterrupted, 0)} of them not interrupted (with the reason) after the restart; most time from restart to all interrupted and nothing left ${Math.max(...figures.map((f) => f.ms))} ms; ` +
      `survivors ${figures.reduce((n, f) => n + f.survivors, 0)}; books balanced after ${figures.filter((f) => f.balanced).length}/${REPS} repetitions`)
  }, Math.max(55_000, REPS * 15_000))
})
