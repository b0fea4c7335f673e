// The GitHub Action (deploy/github-actions/) against a real gateway process: notify.sh run with bash
// and a runner's GITHUB_* environment, the way the composite action's step runs it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ADMIN_TOKEN, CHAOS_AGENT, SECRET, adminGet, cleanupGatewayProcesses, listAllRuns, startGatewayProcess, waitFor, type GatewayProcess } from '../helpers/gateway-process.ts'
import { runScript, type ScriptResult } from './run-script.ts'

const ACTION_DIR = fileURLToPath(new URL('../../deploy/github-actions/', import.meta.url))
const NOTIFY = join(ACTION_DIR, 'notify.sh')
const ECHO_AGENT = fileURLToPath(new URL('./fixtures/echo-agent.mjs', import.meta.url))
const WRONG_SECRET = 'wrong-secret-9f8e7d6c5b4a39281706'
// The gateway refuses two callers with one secret.
const TIGHT_SECRET = 'tight-secret-0a1b2c3d4e5f60718293'
const SLOW_SECRET = 'slow-secret-5e4d3c2b1a0f9e8d7c6b'
const FINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted'])

const config = `
log: { level: warn }
admin_token: ${ADMIN_TOKEN}
agent:
  profile: command
  argv: [${JSON.stringify(process.execPath)}, ${JSON.stringify(ECHO_AGENT)}, "{prompt}"]
  timeout: 30
  # The tag the helper's cleanup finds leftover agents by.
  env: [CHAOS_TAG]
limits:
  per_address: { max: 100000, window: 60 }
commands:
  run: { prompt: "{args}" }
callers:
  ci:
    scheme: hmac-sha256
    secrets: ["${SECRET}"]
    commands: [run]
    default_command: run
  tight:
    scheme: hmac-sha256
    secrets: ["${TIGHT_SECRET}"]
    commands: [run]
    default_command: run
    rate_limit: { max: 1, window: 3600 }
  slow:
    scheme: hmac-sha256
    secrets: ["${SLOW_SECRET}"]
    commands: [run]
    default_command: run
    # Works for as long as its prompt's ms=N says.
    agent: { argv: [${JSON.stringify(process.execPath)}, ${JSON.stringify(CHAOS_AGENT)}, "{prompt}"] }
`

let gw: GatewayProcess
let dir: string
let nextRunId = 7_000_000

beforeAll(async () => { gw = await startGatewayProcess(config) })
afterAll(async () => { await cleanupGatewayProcesses() })
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookgate-gha-'))
  return () => rmSync(dir, { recursive: true, force: true })
})

interface Step {
  env: Record<string, string>
  summary: string
  output: string
}

/** A runner's environment for one job of one workflow run; `runId` defaults to a fresh one. */
function step (over: Record<string, string> = {}): Step {
  const summary = join(dir, 'step-summary.md')
  const output = join(dir, 'github-output')
  return {
    summary,
    output,
    env: {
      HOME: dir,
      GITHUB_ACTIONS: 'true',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'octo-org/widgets',
      GITHUB_REF_NAME: 'feature/login',
      GITHUB_SHA: '3f786850e387550fdab836ed7e6dc881de23001b',
      GITHUB_WORKFLOW: 'CI',
      GITHUB_JOB: 'unit-tests',
      GITHUB_RUN_ID: String(nextRunId++),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_OUTPUT: output,
      HOOKGATE_URL: gw.url,
      HOOKGATE_CALLER: 'ci',
      HOOKGATE_SECRET: SECRET,
      ...over
    }
  }
}

async function notify (s: Step): Promise<ScriptResult> {
  return await runScript('bash', [NOTIFY], { env: s.env, cwd: dir, timeoutMs: 40_000 })
}

function read (path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : ''
}

/** The last `run-id` the step wrote to its GITHUB_OUTPUT file (the runner keeps appending). */
function outputRunId (s: Step): string {
  const ids = [...read(s.output).matchAll(/^run-id=(run_\w+)$/gm)].map((m) => m[1] as string)
  expect(ids.length, read(s.output)).toBeGreaterThan(0)
  return ids.at(-1) as string
}

async function finalRun (id: string): Promise<Record<string, any>> {
  return await waitFor(async () => {
    const { status, body } = await adminGet(gw.url, `/v1/runs/${id}`)
    return status === 200 && FINAL.has(body.status) ? body : undefined
  }, 15_000)
}

describe('deploy/github-actions/notify.sh', () => {
  it('fire and forget: exit 0, the run exists, and its prompt names the repository, the job and the run URL', async () => {
    // A branch name is chosen by whoever pushes: it must arrive as text, never run.
    const branch = 'fix/"quotes" $(touch pwned) `id`'
    const s = step({ GITHUB_REF_NAME: branch })
    const r = await notify(s)
    expect(r.code, r.stderr).toBe(0)
    const id = outputRunId(s)
    expect(r.stdout).toContain(`hookgate accepted the request: run ${id}`)
    expect(read(s.output)).toMatch(/^status=(queued|running|succeeded)$/m)

    const listed = await listAllRuns(gw.url)
    expect(listed.map((run) => run.id)).toContain(id)
    const run = await finalRun(id)
    expect(run.caller).toBe('ci')
    expect(run.status).toBe('succeeded')
    const runUrl = `https://github.com/octo-org/widgets/actions/runs/${s.env.GITHUB_RUN_ID}`
    expect(run.output).toContain('prompt: The GitHub Actions job "unit-tests" of workflow "CI" failed in octo-org/widgets')
    expect(run.output).toContain(runUrl)
    expect(run.output).toContain(`on ${branch} at commit 3f786850e387550fdab836ed7e6dc881de23001b`)
    expect(existsSync(join(dir, 'pwned'))).toBe(false)
    // Not waited for: the summary says so and holds no output.
    expect(read(s.summary)).toContain(`### hookgate: agent run \`${id}\``)
    expect(read(s.summary)).toContain('Not waited for')
  })

  it('with wait: prints the status and the output, and the summary gets the output in a fence it cannot close', async () => {
    // Backticks in the agent's output must not end the summary's code block early.
    const s = step({ HOOKGATE_WAIT: '20', HOOKGATE_TEXT: 'see ```this```' })
    const r = await notify(s)
    expect(r.code, r.stderr).toBe(0)
    const id = outputRunId(s)
    const run = await finalRun(id)
    expect(run.output).toContain('prompt: see ```this``` The GitHub Actions job')
    expect(r.stdout).toContain(`hookgate run ${id}: succeeded`)
    expect(read(s.output)).toContain('status=succeeded')
    // The agent's text is printed with workflow commands switched off around it.
    const stop = /^::stop-commands::([0-9a-f]{32})$/m.exec(r.stdout)
    expect(stop, r.stdout).not.toBeNull()
    const between = r.stdout.slice(r.stdout.indexOf(stop![0]) + stop![0].length, r.stdout.indexOf(`::${stop![1]}::`))
    expect(between.trim()).toBe(run.output.trim())

    const summary = read(s.summary)
    expect(summary).toContain(`### hookgate: agent run \`${id}\` succeeded`)
    expect(summary).toContain('Status: **succeeded**')
    const fenced = /^````text\n([\s\S]*?)\n````$/m.exec(summary)
    expect(fenced, summary).not.toBeNull()
    expect(fenced![1]).toBe(run.output.replace(/\n$/, ''))
    expect(summary).not.toMatch(/token|bearer/i)
    expect(r.stdout + r.stderr).not.toMatch(/token|bearer/i)
  })

  it('the same step again (same run, attempt and job): no second run, exit 0, the original run reported', async () => {
    const first = step({ HOOKGATE_WAIT: '20' })
    const r1 = await notify(first)
    expect(r1.code, r1.stderr).toBe(0)
    const id = outputRunId(first)
    await finalRun(id)
    const before = (await listAllRuns(gw.url)).length

    rmSync(first.summary, { force: true })
    rmSync(first.output, { force: true })
    const r2 = await notify(first)
    expect(r2.code, r2.stderr).toBe(0)
    expect(r2.stdout).toContain(`hookgate already had this request (gha-${first.env.GITHUB_RUN_ID}-1-unit-tests): run ${id}`)
    expect(outputRunId(first)).toBe(id)
    expect(r2.stdout).toContain(`hookgate run ${id}: succeeded`)
    expect(read(first.summary)).toContain('this is the run it started then')
    expect((await listAllRuns(gw.url)).length).toBe(before)

    // A re-run of the workflow is a new attempt: a new run.
    const rerun = await notify({ ...first, env: { ...first.env, GITHUB_RUN_ATTEMPT: '2' } })
    expect(rerun.code, rerun.stderr).toBe(0)
    expect(outputRunId(first)).not.toBe(id)
  })

  it('a run that outlasts the wait: exit 0 all the same, "still running" printed and in the summary', async () => {
    const s = step({ HOOKGATE_CALLER: 'slow', HOOKGATE_SECRET: SLOW_SECRET, HOOKGATE_TEXT: 'ms=4000', HOOKGATE_WAIT: '1' })
    const started = Date.now()
    const r = await notify(s)
    expect(r.code, r.stderr).toBe(0)
    expect(Date.now() - started).toBeLessThan(3500)
    const id = outputRunId(s)
    expect(r.stdout).toMatch(new RegExp(`hookgate run ${id}: still (queued|running) after 1 s; the agent keeps working`))
    expect(read(s.output)).toMatch(/^status=(queued|running)$/m)
    expect(read(s.summary)).toMatch(/Still \*\*(queued|running)\*\* after waiting 1 s/)
    expect((await adminGet(gw.url, `/v1/runs/${id}`)).body.status).not.toMatch(/succeeded|failed/)
  })

  it('a wrong secret: non-zero exit, a message naming 401, no run, and neither secret printed', async () => {
    const before = (await listAllRuns(gw.url)).length
    const s = step({ HOOKGATE_SECRET: WRONG_SECRET, HOOKGATE_WAIT: '5' })
    const r = await notify(s)
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('401')
    expect(r.stderr).toContain('HOOKGATE_UNAUTHORIZED')
    expect(r.stdout).toMatch(/^::error title=hookgate-notify::.*401/m)
    for (const secret of [WRONG_SECRET, SECRET]) {
      expect(r.stdout).not.toContain(secret)
      expect(r.stderr).not.toContain(secret)
    }
    expect(read(s.summary)).toBe('')
    expect((await listAllRuns(gw.url)).length).toBe(before)
  })

  it('over the caller\'s rate limit: non-zero exit, 429 and the Retry-After', async () => {
    const first = await notify(step({ HOOKGATE_CALLER: 'tight', HOOKGATE_SECRET: TIGHT_SECRET }))
    expect(first.code, first.stderr).toBe(0)
    const second = await notify(step({ HOOKGATE_CALLER: 'tight', HOOKGATE_SECRET: TIGHT_SECRET }))
    expect(second.code).toBe(3)
    expect(second.stderr).toMatch(/429 Too Many Requests .*caller 'tight' is over its rate limit; retry after \d+ s/)
  })

  it('no gateway listening, or unusable inputs: a clear message and a non-zero exit', async () => {
    // A port that was free a moment ago: nothing answers there.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number }
        server.close(() => resolve(port))
      })
    })
    const down = await notify(step({ HOOKGATE_URL: `http://127.0.0.1:${port}` }))
    expect(down.code).toBe(3)
    expect(down.stderr).toContain(`could not reach http://127.0.0.1:${port}`)

    const badWait = await notify(step({ HOOKGATE_WAIT: 'soon' }))
    expect(badWait.code).toBe(2)
    expect(badWait.stderr).toContain('wait must be a whole number of seconds')
    const noSecret = await notify(step({ HOOKGATE_SECRET: '' }))
    expect(noSecret.code).toBe(2)
    expect(noSecret.stderr).toContain('secret is empty')
    const outside = step()
    delete outside.env.GITHUB_RUN_ID
    const notInActions = await notify(outside)
    expect(notInActions.code).toBe(2)
    expect(notInActions.stderr).toContain('GITHUB_RUN_ID is not set')
  })
})

describe('deploy/github-actions/action.yml', () => {
  const action = parse(readFileSync(join(ACTION_DIR, 'action.yml'), 'utf8'))

  it('is a composite action whose step runs notify.sh with every input as an environment variable', () => {
    expect(action.name).toBe('hookgate-notify')
    expect(Object.keys(action.inputs).sort()).toEqual(['caller', 'secret', 'summary', 'text', 'url', 'wait'])
    for (const name of ['url', 'caller', 'secret']) expect(action.inputs[name].required, name).toBe(true)
    expect(action.inputs.wait.default).toBe('0')
    expect(action.inputs.summary.default).toBe('true')
    expect(action.runs.using).toBe('composite')
    const steps = action.runs.steps as Array<Record<string, any>>
    const notifyStep = steps.find((s) => typeof s.run === 'string' && s.run.includes('notify.sh'))
    expect(notifyStep).toBeDefined()
    expect(notifyStep!.shell).toBe('bash')
    expect(notifyStep!.run).toContain('$GITHUB_ACTION_PATH/notify.sh')
    // Inputs only through env: an expression inside `run:` would be pasted into the script's source.
    expect(notifyStep!.run).not.toContain('${{')
    expect(notifyStep!.env).toEqual({
      HOOKGATE_URL: '${{ inputs.url }}',
      HOOKGATE_CALLER: '${{ inputs.caller }}',
      HOOKGATE_SECRET: '${{ inputs.secret }}',
      HOOKGATE_TEXT: '${{ inputs.text }}',
      HOOKGATE_WAIT: '${{ inputs.wait }}',
      HOOKGATE_SUMMARY: '${{ inputs.summary }}'
    })
    expect(action.outputs['run-id'].value).toBe(`\${{ steps.${notifyStep!.id}.outputs.run-id }}`)
  })

  it('its step, run as the runner runs it (inputs with their defaults, bash -eo pipefail), starts a run', async () => {
    const notifyStep = (action.runs.steps as Array<Record<string, any>>).find((s) => String(s.run).includes('notify.sh'))!
    const inputs: Record<string, string> = { url: gw.url, caller: 'ci', secret: SECRET }
    const value = (expr: string): string => expr.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, name: string) => inputs[name] ?? String(action.inputs[name]?.default ?? ''))
    const s = step()
    const env: Record<string, string> = { ...s.env, GITHUB_ACTION_PATH: ACTION_DIR.replace(/\/$/, '') }
    for (const name of Object.keys(notifyStep.env)) delete env[name]
    for (const [name, expr] of Object.entries(notifyStep.env as Record<string, string>)) env[name] = value(expr)
    const r = await runScript('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', notifyStep.run], { env, cwd: dir, timeoutMs: 30_000 })
    expect(r.code, r.stderr).toBe(0)
    const id = outputRunId(s)
    expect((await finalRun(id)).output).toContain('octo-org/widgets')
    // summary defaults to true
    expect(read(s.summary)).toContain(id)
  })

  it('workflow-snippet.yml is one step, on failure, giving the action every required input from secrets', () => {
    const snippet = parse(readFileSync(join(ACTION_DIR, 'workflow-snippet.yml'), 'utf8')) as Array<Record<string, any>>
    expect(snippet).toHaveLength(1)
    const [use] = snippet
    expect(use!.if).toBe('failure()')
    expect(use!.uses).toMatch(/hookgate-notify|deploy\/github-actions/)
    const given = Object.keys(use!.with)
    for (const name of given) expect(Object.keys(action.inputs), name).toContain(name)
    for (const [name, input] of Object.entries(action.inputs as Record<string, { required?: boolean }>)) {
      if (input.required === true) expect(given, name).toContain(name)
    }
    expect(use!.with.secret).toMatch(/^\$\{\{ secrets\.\w+ \}\}$/)
    expect(use!.with.url).toMatch(/^\$\{\{ (secrets|vars)\.\w+ \}\}$/)
  })
})
