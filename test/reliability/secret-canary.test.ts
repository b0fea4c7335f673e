// G-SEC-1: 20 canary secrets in a real gateway's environment and config, and an agent that prints
// every one it can get in every encoding it knows. No canary, in any encoding, may come out of the
// gateway: not in its process log, its audit log, its database, an event stream, a run object, a
// webhook answer, a chat message or a callback. The agent's environment holds only allowlisted names.
// A secret cut across two output lines is caught on a best-effort basis: reported, not asserted.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EventSource } from 'eventsource'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../src/config/load.ts'
import { RUN_MARKER_VAR } from '../../src/proc/run-marker.ts'
import { configuredSecrets } from '../../src/secrets/configured-secrets.ts'
import { SecretScrubber } from '../../src/secrets/secret-scrubber.ts'
import { readAudit, type AuditRecord } from '../helpers/conservation.ts'
import { startFakeApi, type FakeApi } from '../helpers/fake-api.ts'
import { cleanupGatewayProcesses, postSigned, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.ts'
import { expectBooksBalance } from './util.ts'

const CANARY_AGENT = fileURLToPath(new URL('../fixtures/canary-agent.mjs', import.meta.url))

/** What every agent gets whatever the config says (agent.env's description, src/proc/run-marker.ts). */
const ALWAYS_SET = ['PATH', 'HOME', 'LANG', 'TERM', 'NO_COLOR', RUN_MARKER_VAR]
const TG_USER = 4242
/** A piece this long of a random canary does not occur by chance. */
const PIECE = 16

const token = (bytes = 24): string => randomBytes(bytes).toString('base64url')

interface Canary {
  name: string
  value: string
  /** config: in the config (through ${NAME} or written inline); agent: in agent.env; hidden: in the gateway's environment only. */
  kind: 'config' | 'agent' | 'hidden'
  /** Set in the gateway's environment under `name`. */
  env: boolean
}

function canaries (): Canary[] {
  const c = (name: string, value: string, kind: Canary['kind'], env = true): Canary => ({ name, value, kind, env })
  return [
    c('CANARY_CI_SECRET', token(), 'config'),
    c('CANARY_CI_SECRET_INLINE', token(), 'config', false),
    c('CANARY_OPS_SECRET_INLINE', token(), 'config', false),
    c('CANARY_TG_SECRET', token(), 'config'),
    c('CANARY_TG_TOKEN', `${100000000 + randomBytes(3).readUIntBE(0, 3)}:${token(26)}`, 'config'),
    c('CANARY_ADMIN', token(32), 'config'),
    c('CANARY_CALLBACK', `whsec_${randomBytes(24).toString('base64')}`, 'config'),
    c('CANARY_REDIS', `p@ss/${randomBytes(18).toString('base64')}&x=1`, 'config'),
    c('CANARY_AGENT_1', `sk-ant-api03-${token(30)}`, 'agent'),
    // Needs escaping in JSON.
    c('CANARY_AGENT_2', `q"uo\\te-${token()}`, 'agent'),
    // Not ASCII: hex and base64 differ from a Latin-1 reading.
    c('CANARY_AGENT_3', `ключ-${token()}-€`, 'agent'),
    // URL-special characters.
    c('CANARY_AGENT_4', `${randomBytes(21).toString('base64')}+&?=/ %`, 'agent'),
    c('CANARY_AGENT_5', `ghp_${token(27)}`, 'agent'),
    c('CANARY_AGENT_6', `AKIA${randomBytes(16).toString('hex').toUpperCase()}`, 'agent'),
    c('CANARY_AGENT_CALLER', `xoxb-${token()}`, 'agent'),
    c('CANARY_HIDDEN_1', token(), 'hidden'),
    c('CANARY_HIDDEN_2', `sk-${token(30)}`, 'hidden'),
    c('CANARY_HIDDEN_3', `hidden "json" ${token()}`, 'hidden'),
    c('CANARY_HIDDEN_4', randomBytes(24).toString('hex'), 'hidden'),
    c('CANARY_HIDDEN_5', `pass/${randomBytes(20).toString('base64')}`, 'hidden')
  ]
}

function gatewayYaml (all: Canary[], api: string): string {
  const inline = (name: string): string => all.find((c) => c.name === name)!.value
  const agentEnv = all.filter((c) => c.kind === 'agent' && c.name !== 'CANARY_AGENT_CALLER').map((c) => c.name)
  return `
log: { level: debug }
admin_token: \${CANARY_ADMIN}
redis: { password: "\${CANARY_REDIS}" }
shutdown_grace: 2
agent:
  profile: command
  argv: [${JSON.stringify(process.execPath)}, ${JSON.stringify(CANARY_AGENT)}, "{prompt}"]
  timeout: 30
  kill_grace: 1
  env: [${agentEnv.join(', ')}]
limits: { sync_wait: 20, per_address: { max: 100000, window: 60 } }
commands:
  run: { prompt: "{args}" }
callers:
  ci:
    scheme: hmac-sha256
    secrets: ["\${CANARY_CI_SECRET}", "${inline('CANARY_CI_SECRET_INLINE')}"]
    commands: [run]
    default_command: run
    callback: { url: "${api}/callback", secret: "\${CANARY_CALLBACK}" }
    agent: { env: [CANARY_AGENT_CALLER] }
  ops:
    scheme: hmac-sha256
    secrets: ["${inline('CANARY_OPS_SECRET_INLINE')}"]
    commands: [run]
    default_command: run
  tg:
    scheme: telegram
    secrets: ["\${CANARY_TG_SECRET}"]
    users: ["${TG_USER}"]
    commands: [run]
    default_command: run
    reply: { token: "\${CANARY_TG_TOKEN}", api_base: "${api}" }
`
}

/** A Bot API that answers sendMessage with a message id and anything else with ok; callbacks get 200. */
async function fakePlatform (): Promise<FakeApi> {
  const api = await startFakeApi({ status: 200, body: { ok: true, result: true } })
  let next = 700
  api.route(/\/sendMessage$/, (req) => {
    const { chat_id: chatId, text } = req.json as { chat_id: number, text: string }
    return { status: 200, body: { ok: true, result: { message_id: next++, chat: { id: chatId, type: 'private' }, date: 1763719300, text } } }
  })
  return api
}

/** The encodings G-SEC-1 counts, plus JSON-escaped once and twice (a JSON string inside a JSON string). */
function encodings (secret: string): Record<string, string> {
  const bytes = Buffer.from(secret, 'utf8')
  const json = JSON.stringify(secret).slice(1, -1)
  return {
    raw: secret,
    base64: bytes.toString('base64').replace(/=+$/, ''),
    base64url: bytes.toString('base64url'),
    hex: bytes.toString('hex'),
    HEX: bytes.toString('hex').toUpperCase(),
    url: encodeURIComponent(secret),
    json,
    json2: JSON.stringify(json).slice(1, -1)
  }
}

/** Whether the secret's bytes can be decoded from a run of base64 characters in `text`, at any offset (blobs at other alignments). */
function decodable (text: string, secret: string): boolean {
  const bytes = Buffer.from(secret, 'utf8')
  for (const run of text.match(/[A-Za-z0-9+/_-]{16,}/g) ?? []) {
    for (let offset = 0; offset < 4; offset++) if (Buffer.from(run.slice(offset), 'base64').includes(bytes)) return true
  }
  return false
}

/** Whether 16 characters in a row of the secret (raw or JSON-escaped) appear: a piece left by a cut. */
function pieceOf (text: string, secret: string): boolean {
  for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
    for (let i = 0; i + PIECE <= form.length; i++) if (text.includes(form.slice(i, i + PIECE))) return true
  }
  return false
}

async function waitFor<T> (what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const found = await probe()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

function auditOf (gw: GatewayProcess): AuditRecord[] {
  try { return readAudit(gw.stateDir) } catch { return [] }
}

/** Follows a run's events with a real EventSource client until its result; the raw data of every event. */
function followRun (url: string): Promise<string[]> {
  const names = ['run', 'session', 'text', 'tool_start', 'tool_end', 'log', 'permission', 'result', 'reset']
  return new Promise((resolve, reject) => {
    const es = new EventSource(url)
    const data: string[] = []
    const timer = setTimeout(() => { es.close(); reject(new Error('no result event within 30 s')) }, 30_000)
    for (const name of names) {
      es.addEventListener(name, (e: MessageEvent) => {
        data.push(`${name} ${String(e.data)}`)
        if (name === 'result') { clearTimeout(timer); es.close(); resolve(data) }
      })
    }
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) { clearTimeout(timer); reject(new Error('EventSource closed')) }
    })
  })
}

afterEach(async () => { await cleanupGatewayProcesses() })

describe('G-SEC-1 secret canaries', () => {
  it('no canary leaves the gateway in any encoding, and the agent sees only allowlisted variables', async () => {
    const all = canaries()
    const byName = new Map(all.map((c) => [c.name, c]))
    const value = (name: string): string => byName.get(name)!.value
    const work = mkdtempSync(join(tmpdir(), 'hookgate-canary-'))
    try {
      // The config's secrets, as the agent might find them in a repository.
      const secretsFile = join(work, 'found-secrets.json')
      writeFileSync(secretsFile, JSON.stringify(Object.fromEntries(all.filter((c) => c.kind === 'config').map((c) => [c.name, c.value]))))
      const api = await fakePlatform()
      const gatewayEnv = Object.fromEntries(all.filter((c) => c.env).map((c) => [c.name, c.value]))
      const gw = await startGatewayProcess(gatewayYaml(all, api.url), { env: gatewayEnv })
      const admin = { authorization: `Bearer ${value('CANARY_ADMIN')}` }
      const prompt = (mode: string, tag: string): string => `${mode} ${secretsFile} ${join(work, `env-${tag}.json`)}`
      const sign = { secret: value('CANARY_CI_SECRET') }
      const answers: string[] = []
      const sse: string[] = []

      // 1. The JSON answer of a run that succeeds, and 2. of one that fails with the secrets on stderr.
      const sync = await postSigned(gw.url, JSON.stringify({ text: prompt('print', 'sync') }), sign)
      expect(sync.status, sync.text).toBe(200)
      answers.push(sync.text)
      const failed = await postSigned(gw.url, JSON.stringify({ text: prompt('fail', 'fail') }), sign)
      expect(failed.status, failed.text).toBe(200)
      expect(failed.body).toMatchObject({ status: 'failed' })
      answers.push(failed.text)

      // 3. The event stream of the webhook itself, read raw to its end.
      const streamed = await postSigned(gw.url, JSON.stringify({ text: prompt('print', 'stream') }), { ...sign, headers: { accept: 'text/event-stream' } })
      expect(streamed.status).toBe(200)
      expect(streamed.text).toContain('event: result')
      sse.push(streamed.text)

      // 4. A run started async (202) and followed live by an EventSource client with the run's token.
      const started = await postSigned(gw.url, JSON.stringify({ text: prompt('print', 'async') }), { ...sign, async: true })
      expect(started.status).toBe(202)
      answers.push(started.text)
      const asyncRun = started.body as { id: string, token: string }
      sse.push(...await followRun(`${gw.url}/v1/runs/${asyncRun.id}/events?token=${encodeURIComponent(asyncRun.token)}`))

      // 5. A Telegram message: the webhook answer, the live view and the result go to the fake Bot API.
      const update = {
        update_id: 800_000_000 + randomBytes(2).readUInt16BE(0),
        message: { message_id: 31, from: { id: TG_USER, is_bot: false, first_name: 'Ana' }, chat: { id: TG_USER, type: 'private' }, date: 1763719200, text: prompt('slow', 'telegram') }
      }
      const tg = await fetch(`${gw.url}/v1/hooks/tg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': value('CANARY_TG_SECRET') },
        body: JSON.stringify(update)
      })
      expect(tg.status).toBe(200)
      answers.push(await tg.text())

      // 6. A client that puts secrets in a URL: the request line goes to the process log (not the
      // answer, which only echoes what that client sent itself).
      const probe = await fetch(`${gw.url}/v1/runs/${value('CANARY_AGENT_5')}?api_key=${encodeURIComponent(value('CANARY_CALLBACK'))}`, { headers: admin })
      expect(probe.status).toBe(404)
      await probe.text()

      // Every run final, every delivery (chat reply, callbacks) done.
      const runIds = await waitFor('5 accepted runs', () => {
        const ids = auditOf(gw).filter((r) => r.event === 'accepted').map((r) => r.run as string)
        return ids.length >= 5 ? ids : undefined
      })
      await waitFor('the telegram reply and 4 callbacks', () => {
        const done = auditOf(gw).filter((r) => r.event === 'delivery' && (r.status === 'delivered' || r.status === 'failed'))
        return done.length >= 5 ? done : undefined
      }, 45_000)
      const deliveries = auditOf(gw).filter((r) => r.event === 'delivery' && r.status === 'delivered')
      expect(deliveries.map((r) => r.channel).sort()).toEqual(['callback', 'callback', 'callback', 'callback', 'reply'])

      const runs: string[] = []
      for (const id of runIds) {
        const res = await fetch(`${gw.url}/v1/runs/${id}`, { headers: admin })
        expect(res.status).toBe(200)
        runs.push(await res.text())
      }
      const listed = await fetch(`${gw.url}/v1/runs?limit=100`, { headers: admin })
      runs.push(await listed.text())

      const tgToken = value('CANARY_TG_TOKEN')
      const requests = api.requests.map((r) => JSON.stringify({
        method: r.method,
        // The Bot API takes its token in the path: the one place a canary must go, to its own platform.
        url: r.url.replace(`/bot${tgToken}/`, '/bot<token>/'),
        headers: r.headers,
        body: r.body
      }))
      expect(api.requests.filter((r) => r.url.startsWith(`/bot${tgToken}/`)).length).toBeGreaterThanOrEqual(2)
      const stateFiles = readdirSync(gw.stateDir).filter((f) => !f.startsWith('audit'))
      const sinks: Record<string, string[]> = {
        'process log': [gw.output()],
        'audit log': readdirSync(gw.stateDir).filter((f) => /^audit.*\.jsonl$/.test(f)).map((f) => readFileSync(join(gw.stateDir, f), 'utf8')),
        'database files': stateFiles.map((f) => { try { return readFileSync(join(gw.stateDir, f)).toString('utf8') } catch { return '' } }),
        'event streams': sse,
        'run objects': runs,
        'webhook answers': answers,
        'fake platform and callback requests': requests
      }

      let checks = 0
      const leaks: string[] = []
      for (const [sink, texts] of Object.entries(sinks)) {
        const text = texts.join('\n')
        for (const canary of all) {
          for (const [encoding, form] of Object.entries(encodings(canary.value))) {
            checks++
            if (text.includes(form)) leaks.push(`${canary.name} ${encoding} in ${sink}`)
          }
          checks++
          if (decodable(text, canary.value)) leaks.push(`${canary.name} decodable from base64 in ${sink}`)
        }
      }

      // Best effort: both halves of a cut secret surviving somewhere in the same sink.
      const splits: string[] = []
      for (const [sink, texts] of Object.entries(sinks)) {
        const text = texts.join('\n')
        const cut = all.filter((c) => {
          const half = Math.floor(c.value.length / 2)
          return [c.value.slice(0, half), c.value.slice(half)].every((part) => text.includes(JSON.stringify(part).slice(1, -1)) || text.includes(part))
        })
        splits.push(`${sink}: ${cut.length}${cut.length > 0 ? ` (${cut.map((c) => c.name).join(', ')})` : ''}`)
      }

      // Pieces of canaries, which cuts (a window on stderr, a cap on output, a late second half) can leave.
      const pieces = Object.entries(sinks).map(([sink, texts]) => {
        const text = texts.join('\n')
        return `${sink}: ${all.filter((c) => pieceOf(text, c.value)).length}`
      })

      // The agent's environment: allowlisted names only, per caller.
      const reports = ['sync', 'fail', 'stream', 'async', 'telegram'].map((tag) => ({
        tag,
        ...JSON.parse(readFileSync(join(work, `env-${tag}.json`), 'utf8')) as { keys: string[], environ: string[], found: string[] }
      }))
      const globalAgentEnv = all.filter((c) => c.kind === 'agent' && c.name !== 'CANARY_AGENT_CALLER').map((c) => c.name)
      const envProblems: string[] = []
      for (const report of reports) {
        const allowed = new Set([...ALWAYS_SET, ...(report.tag === 'telegram' ? globalAgentEnv : ['CANARY_AGENT_CALLER'])])
        for (const name of new Set([...report.keys, ...report.environ])) if (!allowed.has(name)) envProblems.push(`${report.tag}: ${name}`)
        expect(report.keys).toContain(RUN_MARKER_VAR)
        expect(new Set(report.environ)).toEqual(new Set(report.keys))
        const sawEnv = report.found.filter((l) => l.startsWith('env ')).map((l) => l.slice(4)).sort()
        expect(sawEnv, report.tag).toEqual(report.tag === 'telegram' ? [...globalAgentEnv].sort() : ['CANARY_AGENT_CALLER'])
        expect(report.found.filter((l) => l.startsWith('file ')).length).toBe(all.filter((c) => c.kind === 'config').length)
      }

      // What the gateway scrubs with, and what scrubbing one run's raw output costs here.
      const config = loadConfigFile(gw.configPath, { ...gatewayEnv, PATH: process.env.PATH }).config
      const scrubber = new SecretScrubber(configuredSecrets(config, gatewayEnv))
      const raw = spawnSync(process.execPath, [CANARY_AGENT, prompt('print', 'timing')], { env: { PATH: process.env.PATH, ...Object.fromEntries(globalAgentEnv.map((n) => [n, value(n)])) }, encoding: 'utf8' })
      const rawOutput = raw.stdout.repeat(8)
      const t0 = performance.now()
      const clean = scrubber.scrub(rawOutput)
      const scrubMs = performance.now() - t0

      console.log([
        `G-SEC-1: ${all.length} canaries (${all.filter((c) => c.kind === 'config').length} config, ${globalAgentEnv.length + 1} agent.env, ${all.filter((c) => c.kind === 'hidden').length} environment only), ` +
          `${Object.keys(encodings('x')).length} encodings + base64 at any alignment, ${Object.keys(sinks).length} sinks: ${checks} checks, ${leaks.length} leaks`,
        `  sinks: ${Object.entries(sinks).map(([name, texts]) => `${name} ${texts.reduce((n, t) => n + t.length, 0)} chars`).join(', ')}`,
        `  runs ${runIds.length}, fake API requests ${api.requests.length}, SSE events ${sse.length - 1} + 1 raw stream`,
        `  agent environments: ${reports.map((r) => `${r.tag} [${r.keys.sort().join(' ')}]`).join('; ')}`,
        `  gateway scrubs ${scrubber.size} secrets; ${rawOutput.length} chars of raw agent output scrubbed in ${scrubMs.toFixed(2)} ms`,
        `  best effort, secrets cut across lines with both halves still present: ${splits.join('; ')}`,
        `  canaries with a piece of ${PIECE} characters left anywhere: ${pieces.join('; ')}`
      ].join('\n'))

      expect(leaks).toEqual([])
      expect(envProblems).toEqual([])
      // The sinks are not trivially clean: the agent's output reached them, redacted.
      const runObjects = runs.slice(0, -1).map((r) => JSON.parse(r) as { output: string, error: string | null, caller: string })
      for (const run of runObjects) expect((run.output.match(/\[redacted\]/g) ?? []).length, run.caller).toBeGreaterThanOrEqual(9 * 8)
      const error = runObjects.find((r) => r.error !== null)?.error ?? ''
      expect(error).toContain('[redacted]')
      // The error quotes the last 2 KiB of stderr, which may start inside a canary: not even a piece of one.
      expect(all.filter((c) => pieceOf(error, c.value)).map((c) => c.name)).toEqual([])
      expect(sinks['fake platform and callback requests']!.join('\n')).toContain('[redacted]')
      expect(sse.join('\n')).toContain('[redacted]')
      expect(scrubber.size).toBe(all.filter((c) => c.kind !== 'hidden').length)
      expect(clean).not.toContain(value('CANARY_AGENT_1'))
      const books = await expectBooksBalance(gw)
      console.log(`G-SEC-1 books: ${runIds.length} runs accepted, ${JSON.stringify(books?.db.counts)}, conservation problems ${books?.problems.length}`)
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  }, 90_000)
})
