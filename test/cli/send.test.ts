// `hookgate send` end to end: the real binary against a real gateway started with `hookgate serve`.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, startGateway, tempDir, type Gateway } from './helpers.ts'

const SECRET = 'e2e-secret-0123456789abcdef01234' // 32 bytes
const WHSEC = `whsec_${Buffer.alloc(32, 9).toString('base64')}`

function config (agent: string, extra = ''): string {
  return `
state_dir: ./state
log: { level: warn }
${extra}
agent:
${agent}
commands:
  run: { prompt: "{args}" }
  deploy:
    prompt: "Deploy to {args}."
    choices: [staging, production]
    confirm: [production]
callers:
  ci:
    scheme: hmac-sha256
    secrets: ["${SECRET}"]
    commands: [run, deploy]
    default_command: run
  app:
    scheme: standard-webhooks
    secrets: ["${WHSEC}"]
    commands: [run]
    default_command: run
`
}

// The tests share one gateway and each runs its own child process: side by side.
describe.concurrent('hookgate send (demo agent)', () => {
  let gateway: Gateway
  beforeAll(async () => {
    // A quicker demo agent; its chunks still arrive as separate events.
    gateway = await startGateway(config('  profile: demo\n  env: [HOOKGATE_DEMO_DELAY_MS]', 'limits: { concurrency: 8 }'), { HOOKGATE_DEMO_DELAY_MS: '10' })
  })
  afterAll(async () => { await gateway?.stop() })

  const send = (args: string[], options: Parameters<typeof runCli>[1] = {}) =>
    runCli(['send', '--url', gateway.url, '--caller', 'ci', '--secret', SECRET, ...args], options)

  it('streams the run: the demo agent\'s text, a tool line, a status line naming the demo; exit 0', async () => {
    const r = await send(['list the files'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('hookgate demo agent')
    expect(r.stdout).toMatch(/^ {2}> Bash: ls$/m)
    expect(r.stdout).toMatch(/^✓ succeeded in \d+\.\ds \(run_[0-9a-z]+\) \[.*DEMO.*\]$/m)
    // The status line comes last.
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^✓ succeeded/)
  })

  it('a wrong secret is refused: exit 3 with HOOKGATE_UNAUTHORIZED', async () => {
    const r = await runCli(['send', '--url', gateway.url, '--caller', 'ci', '--secret', 'not-the-secret-not-the-secret-00', 'hi'])
    expect(r.code).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('HOOKGATE_UNAUTHORIZED: ')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('an unknown caller is refused the same way', async () => {
    const r = await runCli(['send', '--url', gateway.url, '--caller', 'nobody', '--secret', SECRET, 'hi'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('HOOKGATE_UNAUTHORIZED')
  })

  it('--json waits and prints the finished run object', async () => {
    const r = await send(['--json', '--user', 'alice', '--thread', 't1', 'explain'])
    expect(r.code, r.stderr).toBe(0)
    const run = JSON.parse(r.stdout) as Record<string, unknown>
    expect(run).toMatchObject({ caller: 'ci', user: 'alice', thread: 't1', command: 'run', status: 'succeeded', demo: true })
    expect(String(run.output)).toContain('DEMO')
  })

  it('--async prints the accepted run with its token at once', async () => {
    const r = await send(['--async', 'accept asynchronously'])
    expect(r.code, r.stderr).toBe(0)
    const run = JSON.parse(r.stdout) as Record<string, unknown>
    expect(run.id).toMatch(/^run_/)
    expect(typeof run.token).toBe('string')
    expect(['queued', 'running', 'succeeded']).toContain(run.status)
  })

  it('--id makes a repeat answer with the original run, and says so', async () => {
    const first = await send(['--json', '--id', 'same-key-1', 'hello once'])
    const second = await send(['--json', '--id', 'same-key-1', 'hello once'])
    expect(second.code, second.stderr).toBe(0)
    expect((JSON.parse(second.stdout) as { id: string }).id).toBe((JSON.parse(first.stdout) as { id: string }).id)
    expect(second.stderr).toContain('original run')
    const streamed = await send(['--id', 'same-key-1', 'hello once'])
    expect(streamed.code, streamed.stderr).toBe(0)
    expect(streamed.stderr).toContain('original run')
    expect(streamed.stdout).toContain((JSON.parse(first.stdout) as { id: string }).id)
  })

  it('a built-in answers with its message: /help, exit 0', async () => {
    const r = await send(['/help'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('/run')
    expect(r.stdout).toContain('/deploy')
  })

  it('a command that needs confirmation prints how to confirm and exits 1 (nothing ran)', async () => {
    const r = await send(['--user', 'bob', '/deploy production'])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/\/confirm \S+/)
  })

  it('a policy refusal is exit 3 with its code', async () => {
    const r = await send(['/deploy mars'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('HOOKGATE_POLICY_DENIED')
  })

  it('standard-webhooks callers work with --scheme standard-webhooks', async () => {
    const r = await runCli(['send', '--url', gateway.url, '--caller', 'app', '--scheme', 'standard-webhooks', '--secret', WHSEC, 'hi from standard webhooks'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^✓ succeeded/m)
  })

  it('takes url, caller and secret from the environment', async () => {
    const r = await runCli(['send', 'hi from the environment'], { env: { HOOKGATE_URL: gateway.url, HOOKGATE_CALLER: 'ci', HOOKGATE_SECRET: SECRET } })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^✓ succeeded/m)
  })

  it('-v adds status changes and the session on stderr', async () => {
    const r = await send(['-v', 'hi, verbosely'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/run_\S+ running/)
    expect(r.stderr).toMatch(/session \S+/)
  })
})

describe.concurrent('hookgate send (failing agent)', () => {
  let gateway: Gateway
  beforeAll(async () => {
    // Fails after a second, longer than sync_wait: --json gets a 202 first and has to follow the run.
    const script = "console.log('agent started'); process.stderr.write('boom on stderr\\\\n'); setTimeout(() => process.exit(3), 1200)"
    const agent = `  profile: command
  argv: ["${process.execPath}", "-e", "${script}", "{prompt}"]`
    gateway = await startGateway(config(agent, 'limits: { sync_wait: 0 }'))
  })
  afterAll(async () => { await gateway?.stop() })

  it('a failed run: the agent\'s stderr as log lines, ✗ status line, exit 1', async () => {
    const r = await runCli(['send', '--url', gateway.url, '--caller', 'ci', '--secret', SECRET, 'fail please'])
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expect(r.stdout).toMatch(/^✗ failed/m)
    expect(r.stderr).toContain('boom on stderr')
  })

  it('--json: follows a run still going after the sync wait, prints the failed run object, exit 1', async () => {
    const r = await runCli(['send', '--url', gateway.url, '--caller', 'ci', '--secret', SECRET, '--json', 'fail in json'])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'failed' })
  })

  it('Ctrl-C stops following, leaves the run going and prints how to cancel it', async () => {
    const r = await runCli(['send', '--url', gateway.url, '--caller', 'ci', '--secret', SECRET, 'interrupt me'], {
      onStdout: (child, stdout) => { if (stdout.includes('agent started') && !child.killed) child.kill('SIGINT') }
    })
    expect(r.code).toBe(130)
    const hint = /curl -X POST '(http:\/\/\S+\/v1\/runs\/(run_\w+)\/cancel)' -H 'Authorization: Bearer (\S+)'/.exec(r.stderr)
    expect(hint, r.stderr).not.toBeNull()
    // The run went on without us, and the printed command cancels it.
    const cancel = await fetch(hint![1]!, { method: 'POST', headers: { authorization: `Bearer ${hint![3]}` } })
    expect(cancel.status).toBe(202)
    const runUrl = new URL(`/v1/runs/${hint![2]}`, gateway.url)
    let status = ''
    for (let i = 0; i < 50 && !['cancelled', 'failed'].includes(status); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      status = ((await (await fetch(runUrl, { headers: { authorization: `Bearer ${hint![3]}` } })).json()) as { status: string }).status
    }
    expect(status).toBe('cancelled')
  })
})

describe.concurrent('hookgate send (no gateway)', () => {
  it('a connection failure is exit 3 with a hint to start the gateway', async () => {
    const r = await runCli(['send', '--url', 'http://127.0.0.1:9', '--secret', SECRET, 'hi'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('cannot reach the gateway')
    expect(r.stderr).toContain('npm start')
  })

  it('with no secret anywhere it says where it looked, exit 2', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const r = await runCli(['send', 'hi'], { cwd: dir })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('no secret')
      expect(r.stderr).toContain('.hookgate/local.secret')
    } finally {
      cleanup()
    }
  })

  it.each([
    [[], 'nothing to send'],
    [['--json', '--async', 'x'], '--json or --async'],
    [['--url', 'ftp://x', 'x'], '--url'],
    [['--scheme', 'slack', 'x'], '--scheme'],
    [['--secret', 'a', '--secret-file', 'b', 'x'], '--secret-file']
  ])('usage errors: %j → exit 2 naming %s', async (args, named) => {
    const r = await runCli(['send', '--secret', SECRET, ...args])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(named)
  })
})

describe('hookgate send (quick start, no flags)', () => {
  let gateway: Gateway
  // No config file: the gateway generates ./.hookgate/local.secret; PATH holds only node, so no
  // `claude` is found and the demo agent answers.
  beforeAll(async () => { gateway = await startGateway(null, { PATH: dirname(process.execPath) }) })
  afterAll(async () => { await gateway?.stop() })

  it('needs no secret or caller flag in the gateway\'s directory', async () => {
    // Only the URL differs from a real quick start: 8787 may be taken where the tests run.
    const r = await runCli(['send', 'hello'], { cwd: gateway.dir, env: { HOOKGATE_URL: gateway.url } })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^✓ succeeded .*DEMO/m)
  })

  it('the default URL is the quick-start address', async () => {
    const r = await runCli(['send', '--help'])
    expect(r.stdout).toContain('http://127.0.0.1:8787')
  })
})

describe('hookgate send (the stream breaks)', () => {
  it('a stream cut before `result`: exit 3, and how to follow the run that may still be going', async () => {
    // A real HTTP server that answers like the gateway, then drops the connection mid-run.
    const run = {
      id: 'run_cut', caller: 'ci', user: null, thread: null, command: 'run', status: 'running', created_at: new Date().toISOString(),
      started_at: null, finished_at: null, duration_ms: null, exit_code: null, output: '', truncated: false, error: null,
      session: null, cost_usd: null, turns: null, token: 'tok_cut',
      links: { self: '/v1/runs/run_cut', events: '/v1/runs/run_cut/events', cancel: '/v1/runs/run_cut/cancel' }
    }
    const server = createServer((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(`id: 1\r\nevent: run\r\ndata: ${JSON.stringify(run)}\r\n\r\n: ping\r\n\r\nid: 2\r\nevent: text\r\ndata: {"text":"half an ans`)
      res.write('wer"}\r\n\r\n', () => setTimeout(() => res.socket?.destroy(), 50))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const r = await runCli(['send', '--url', `http://127.0.0.1:${port}`, '--secret', SECRET, 'hi'])
      expect(r.code).toBe(3)
      expect(r.stdout).toBe('half an answer\n')
      expect(r.stderr).toContain('the event stream ended before the run finished')
      expect(r.stderr).toContain(`curl -N 'http://127.0.0.1:${port}/v1/runs/run_cut/events' -H 'Authorization: Bearer tok_cut'`)
    } finally {
      server.close()
    }
  })
})
