// The console in a real browser (Debian's chromium driven by playwright-core) against a real gateway
// on a real socket, with the fake agent in one mode per caller: streaming text and tools, permission
// prompts, cancel, agent output full of markup, sign-in by admin token and by console link, starting
// a run, a dropped connection, and the layout at phone and desktop widths in both themes.
import { existsSync, mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { ADMIN, buildTestGateway, type TestGateway } from '../helpers/build-app.ts'
import { waitFor } from '../helpers/gateway-process.ts'

// Names of the page's own world, used only in page.evaluate() and init-script callbacks, which run
// in the browser: declared here (module scope) rather than adding the DOM library to the whole program.
declare const window: any
declare const document: any
declare const location: any
declare const scrollTo: any
declare const getComputedStyle: any

const CHROMIUM = '/usr/bin/chromium'
// The flags the machine notes give for Debian's chromium; playwright adds a fresh temporary profile.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/console')
const WITH_ENV = resolve(import.meta.dirname, 'fixtures/fake-claude-env.mjs')
const PROBE_AGENT = resolve(import.meta.dirname, 'fixtures/probe-agent.mjs')

const XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'
const PHONE = { width: 360, height: 740 }
const DESKTOP = { width: 1280, height: 800 }

/** A caller whose fake agent runs with these settings; `n` keeps every caller's secret its own. */
function caller (n: number, agent: string): string {
  return `{ scheme: hmac-sha256, secrets: [console-test-secret-${n}-0123456789abcdef], commands: [run], default_command: run${agent === '' ? '' : `, agent: ${agent}`} }`
}
const fake = (...settings: string[]): string => `{ args: [${[WITH_ENV, ...settings].map((s) => JSON.stringify(s)).join(', ')}] }`

const CALLERS = `{
  ci: ${caller(1, '')},
  stream: ${caller(2, fake('FAKE_CLAUDE_MODE=tool', 'FAKE_CLAUDE_DELAY_MS=250'))},
  ask: ${caller(3, fake('FAKE_CLAUDE_MODE=ask'))},
  hang: ${caller(4, fake('FAKE_CLAUDE_MODE=hang'))},
  crash: ${caller(5, fake('FAKE_CLAUDE_MODE=crash'))},
  probe: ${caller(6, `{ profile: command, argv: [${JSON.stringify(process.execPath)}, ${JSON.stringify(PROBE_AGENT)}, "{prompt}"] }`)},
  askprobe: ${caller(7, fake('FAKE_CLAUDE_MODE=ask', `FAKE_CLAUDE_TOOL=${JSON.stringify({ name: 'Bash', input: { command: XSS } })}`))}
}`

interface Opened { page: Page, violations: () => Promise<string[]>, eventRequests: Array<Promise<{ url: string, lastEventId: string | undefined }>> }

describe('the console in a real browser', { timeout: 60_000 }, () => {
  let gw: TestGateway
  let base: string
  let browser: Browser

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: the console's browser tests need Debian's chromium (apt-get install chromium), as CI installs it`)
    }
    gw = await buildTestGateway({ callers: CALLERS, limits: '{ concurrency: 8, queue: 16 }' })
    base = await gw.app.listen({ host: '127.0.0.1', port: 0 })
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
    mkdirSync(ARTIFACTS, { recursive: true })
  })

  afterAll(async () => {
    await browser?.close()
    await gw?.close()
  })

  /** A fresh browser context (its own sessionStorage) on `path`, recording CSP violations and event-stream requests. */
  async function open (path: string, opts: { viewport?: { width: number, height: number }, colorScheme?: 'light' | 'dark' } = {}): Promise<Opened> {
    const viewport = opts.viewport ?? PHONE
    const context = await browser.newContext({ viewport, colorScheme: opts.colorScheme ?? 'light', deviceScaleFactor: viewport === PHONE ? 2 : 1 })
    onTestFinished(() => context.close())
    // Injected by the browser itself (DevTools protocol), so the page's own policy does not apply to it.
    await context.addInitScript(() => {
      const seen: string[] = []
      window.__violations = seen
      document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string, blockedURI: string }) => { seen.push(`${e.violatedDirective} ${e.blockedURI}`) })
    })
    const page = await context.newPage()
    const eventRequests: Opened['eventRequests'] = []
    page.on('request', (request) => {
      // All headers, the ones the network stack adds (Last-Event-ID) included.
      if (/\/events\?/.test(request.url())) eventRequests.push(request.allHeaders().then((h) => ({ url: request.url(), lastEventId: h['last-event-id'] })))
    })
    await page.goto(`${base}${path}`)
    return { page, eventRequests, violations: () => page.evaluate(() => window.__violations as string[]) }
  }

  async function signInAsAdmin (page: Page): Promise<void> {
    await page.locator('input[name=token]').fill(ADMIN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('.runs-view').waitFor()
  }

  async function adminConsole (opts?: Parameters<typeof open>[1]): Promise<Opened> {
    const opened = await open('/console', opts)
    await signInAsAdmin(opened.page)
    return opened
  }

  async function startRun (callerId: string, text: string): Promise<{ id: string, token: string }> {
    const res = await fetch(`${base}/v1/admin/runs`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ caller: callerId, text }) })
    expect(res.status).toBe(202)
    return await res.json() as { id: string, token: string }
  }

  const showRun = async (page: Page, id: string): Promise<void> => {
    await page.evaluate((runId) => { location.hash = `#run=${runId}` }, id)
    await page.locator('.run-view').waitFor()
  }
  const result = (page: Page) => page.locator('.conversation .result')
  const texts = (page: Page) => page.locator('.conversation .msg .text').allTextContents()

  it('(a) streams a run into the page: text appears piece by piece and each tool call is a line of its own', async () => {
    const { page } = await adminConsole()
    const { id } = await startRun('stream', 'show me the log')
    await showRun(page, id)
    // Read the first answer as it grows, until the run's result is on the page.
    const versions: string[] = []
    while (await result(page).count() === 0) {
      const first = (await texts(page))[0]
      if (first !== undefined && first !== versions.at(-1)) versions.push(first)
      await page.waitForTimeout(20)
    }
    expect(versions.at(-1)).toBe('Let me look at the log.')
    expect(versions.length).toBeGreaterThanOrEqual(2)
    expect(versions.every((v) => 'Let me look at the log.'.startsWith(v))).toBe(true)
    expect(await texts(page)).toEqual(['Let me look at the log.', 'The last commits are abc123 and def456.'])

    const tools = page.locator('.conversation .tool')
    expect(await tools.count()).toBe(2)
    expect(await tools.locator('.tool-name').allTextContents()).toEqual(['Bash', 'Read'])
    expect(await tools.locator('.tool-summary').allTextContents()).toEqual(['git log --oneline -3', '/nonexistent'])
    expect(await tools.locator('.tool-state').allTextContents()).toEqual(['done', 'failed'])
    // Collapsed until tapped, then the call and its outcome show.
    const second = tools.nth(1)
    expect(await second.locator('.tool-result').isVisible()).toBe(false)
    await second.locator('summary').click()
    expect(await second.locator('.tool-result').isVisible()).toBe(true)

    expect(await result(page).getAttribute('data-status')).toBe('succeeded')
    const numbers = Object.fromEntries(await result(page).locator('.numbers > div').evaluateAll((rows) => rows.map((r) => [r.querySelector('dt')!.textContent, r.querySelector('dd')!.textContent])))
    expect(numbers).toMatchObject({ Cost: '$0.0123', Turns: '2', 'Exit code': '0', Duration: expect.stringMatching(/^\d+(\.\d)? (ms|s)$/) })
    expect(await page.locator('.run-head .status').textContent()).toBe('succeeded')
    expect(await page.locator('.run-head .conn').textContent()).toBe('ended')
  })

  it('(b) asks for permission on the page; Allow lets the agent continue', async () => {
    const { page } = await adminConsole()
    const { id } = await startRun('ask', 'push my branch')
    await showRun(page, id)
    const card = page.locator('.conversation .permission')
    await card.waitFor()
    expect(await card.locator('.perm-title').textContent()).toBe('Permission requested: Bash')
    expect(await card.locator('.perm-summary').textContent()).toBe('git push origin main')
    await page.screenshot({ path: resolve(ARTIFACTS, 'permission-phone-light.png') })
    await card.getByRole('button', { name: 'Allow' }).click()
    await card.locator('.perm-status', { hasText: 'Allowed.' }).waitFor()
    expect(await card.getByRole('button', { name: 'Allow' }).isVisible()).toBe(false)
    await result(page).waitFor()
    expect(await result(page).getAttribute('data-status')).toBe('succeeded')
    expect(await texts(page)).toEqual(['I need to run a tool.', 'The tool ran.'])
    const run = await (await fetch(`${base}/v1/runs/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json() as { output: string }
    expect(JSON.parse(run.output).decisions).toEqual([{ tool: 'Bash', behavior: 'allow' }])
  })

  it('(c) cancels a run: two taps, then the run ends cancelled and the page says so', async () => {
    const { page } = await adminConsole()
    const { id } = await startRun('hang', 'think forever')
    await showRun(page, id)
    await page.locator('.conversation .msg', { hasText: 'Thinking forever' }).waitFor()
    // A message goes into the running session first.
    const steer = page.locator('form.steer')
    await steer.locator('textarea').fill('please hurry')
    await steer.getByRole('button', { name: 'Send' }).click()
    await steer.locator('.form-error', { hasText: 'Delivered into the running session' }).waitFor()
    const cancel = page.locator('.run-head button.danger')
    await cancel.click()
    expect(await cancel.textContent()).toBe('Tap again to cancel')
    await cancel.click()
    await result(page).waitFor({ timeout: 15_000 })
    expect(await result(page).getAttribute('data-status')).toBe('cancelled')
    expect(await page.locator('.run-head .status').textContent()).toBe('cancelled')
    expect(await cancel.isVisible()).toBe(false)
    expect(await result(page).locator('.result-error').textContent()).toContain('cancelled')
    const run = await (await fetch(`${base}/v1/runs/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json() as { status: string }
    expect(run.status).toBe('cancelled')
    // Once it has finished, the gateway refuses messages, and the page shows its answer.
    await steer.locator('textarea').fill('are you still there?')
    await steer.getByRole('button', { name: 'Send' }).click()
    await steer.locator('.form-error', { hasText: 'has already finished' }).waitFor()
    expect(await steer.locator('.form-error').textContent()).toContain('HOOKGATE_CONFLICT')
  })

  it('(d) shows agent output full of markup as text: no script runs, no image loads, no policy had to step in', async () => {
    const { page, violations } = await adminConsole()
    const requested: string[] = []
    page.on('request', (request) => requested.push(request.url()))
    const { id } = await startRun('probe', XSS)
    await showRun(page, id)
    await result(page).waitFor()
    expect(await texts(page)).toEqual([`${XSS}\n`])
    expect(await page.locator('.conversation .log pre').textContent()).toBe(`${XSS}\n`)

    // The same markup as a tool's name and command, in a permission question and a tool line.
    const asking = await startRun('askprobe', 'push')
    await showRun(page, asking.id)
    const card = page.locator('.conversation .permission')
    await card.waitFor()
    expect(await card.locator('.perm-summary').textContent()).toBe(XSS)
    expect(await page.locator('.conversation .tool-summary').first().textContent()).toBe(XSS)
    await card.getByRole('button', { name: 'Deny' }).click()
    await result(page).waitFor()

    expect(await page.evaluate(() => window.__xss)).toBeUndefined()
    expect(await page.locator('main script, main img').count()).toBe(0)
    expect(requested.filter((url) => /\/x(\?|$)/.test(url))).toEqual([])
    expect(await violations()).toEqual([])
  })

  it('(e) signs in with the admin token; refuses a wrong one with a message on the page', async () => {
    const { page } = await open('/console')
    await page.locator('input[name=token]').fill('not-the-admin-token')
    await page.getByRole('button', { name: 'Sign in' }).click()
    const error = page.locator('.form-error')
    await error.waitFor()
    expect(await error.textContent()).toContain('The token was not accepted')
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0)
    await page.screenshot({ path: resolve(ARTIFACTS, 'sign-in-phone-light.png') })
    const { id } = await startRun('ci', 'shown in the list')
    await signInAsAdmin(page)
    await page.locator(`.runs .run-row[data-run="${id}"]`).waitFor()
    expect(await page.locator('#signout').isVisible()).toBe(true)
  })

  it('(e) opens a console link with a run token: that run only, the token gone from the address bar, no list', async () => {
    const mine = await startRun('ci', 'my run')
    const other = await startRun('ci', 'someone else\'s run')
    const { page } = await open(`/console#run=${mine.id}&token=${mine.token}`)
    await page.locator('.run-view').waitFor()
    await result(page).waitFor()
    expect(page.url()).toBe(`${base}/console#run=${mine.id}`)
    expect(await page.locator('.run-who .mono').textContent()).toBe(mine.id)
    expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }))).toContain(mine.token)
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }))).not.toContain(mine.token)
    expect(await page.locator('.back').count()).toBe(0)
    // Neither the list nor another run: the page stays on its own run.
    for (const hash of ['', '#new', `#run=${other.id}`]) {
      await page.evaluate((h) => { location.hash = h }, hash)
      await page.locator('.run-view').waitFor()
      expect(await page.locator('.runs-view').count()).toBe(0)
      expect(await page.locator('.run-who .mono').textContent()).toBe(mine.id)
    }
    // And the API agrees: the list is the admin's.
    expect((await page.evaluate(async (token) => (await fetch('v1/runs', { headers: { authorization: `Bearer ${token}` } })).status, mine.token))).toBe(401)

    const wrong = await open(`/console#run=${mine.id}&token=hgr_wrong`)
    await wrong.page.locator('.banner').waitFor()
    expect(await wrong.page.locator('.banner').textContent()).toContain('The token was not accepted')
    expect(wrong.page.url()).not.toContain('hgr_wrong')
  })

  it('(f) starts a new run from the page and follows it', async () => {
    const { page } = await adminConsole()
    await page.getByRole('link', { name: 'New run' }).click()
    await page.locator('form.new-run').waitFor()
    await page.locator('form.new-run select[name=caller]').selectOption('ci')
    await page.locator('form.new-run textarea[name=text]').fill('hello from the phone')
    await page.screenshot({ path: resolve(ARTIFACTS, 'new-run-phone-light.png') })
    await page.getByRole('button', { name: 'Start run' }).click()
    await page.locator('.run-view').waitFor()
    const id = new URL(page.url()).hash.replace('#run=', '')
    expect(id).toMatch(/^run_[0-9a-z]{26}$/)
    await result(page).waitFor()
    expect(await result(page).getAttribute('data-status')).toBe('succeeded')
    expect(gw.audit().find((e) => e.event === 'accepted' && e.run === id)).toMatchObject({ caller: 'ci', via: 'console' })

    // A refusal is said in the form.
    await page.evaluate(() => { location.hash = '#new' })
    await page.locator('form.new-run textarea[name=text]').fill('please rm -rf /')
    await page.getByRole('button', { name: 'Start run' }).click()
    await page.locator('form.new-run .form-error', { hasText: 'Refused by policy' }).waitFor()
  })

  it('(g) resumes after the connection drops, and after a reload, without showing anything twice', async () => {
    const { page, eventRequests } = await adminConsole()
    const { id } = await startRun('stream', 'show me the log again')
    await showRun(page, id)
    await page.locator('.conversation .tool').first().waitFor()
    // Cut every connection on the gateway's side; the browser reconnects by itself with Last-Event-ID.
    gw.app.server.closeAllConnections()
    await result(page).waitFor({ timeout: 20_000 })
    const requests = await Promise.all(eventRequests)
    expect(requests.length).toBeGreaterThanOrEqual(2)
    expect(requests[0]!.lastEventId).toBeUndefined()
    expect(Number(requests.at(-1)!.lastEventId)).toBeGreaterThan(0)

    const shownOnce = async (): Promise<void> => {
      expect(await texts(page)).toEqual(['Let me look at the log.', 'The last commits are abc123 and def456.'])
      expect(await page.locator('.conversation .tool .tool-name').allTextContents()).toEqual(['Bash', 'Read'])
      expect(await result(page).count()).toBe(1)
      expect(await page.locator('.conversation .meta', { hasText: 'Running since' }).count()).toBe(1)
      expect(await page.locator('.conversation .meta', { hasText: 'Session' }).count()).toBe(1)
    }
    await shownOnce()
    await page.reload()
    await result(page).waitFor()
    await shownOnce()
  })

  it('(h) fits a phone and a desktop in both themes; the theme toggle is remembered', async () => {
    const long = `${'a'.repeat(300)} and a path /${'very-long-segment/'.repeat(20)}`
    const probe = await startRun('probe', long)
    const crashed = await startRun('crash', 'fall over')
    const shown = await startRun('stream', 'show me the log for the picture')
    await waitFor(async () => {
      const runs = await Promise.all([probe, crashed, shown].map(async ({ id }) => (await (await fetch(`${base}/v1/runs/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json() as { status: string }).status))
      return runs.every((s) => ['succeeded', 'failed'].includes(s)) ? true : undefined
    }, 20_000)

    for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
      for (const scheme of ['light', 'dark'] as const) {
        const { page, violations } = await adminConsole({ viewport, colorScheme: scheme })
        await page.locator('.runs .run-row').first().waitFor()
        await page.screenshot({ path: resolve(ARTIFACTS, `list-${name}-${scheme}.png`) })
        for (const [view, id] of [['run', shown.id], ['failed', crashed.id], ['long', probe.id]] as const) {
          await showRun(page, id)
          await result(page).waitFor()
          if (view !== 'long') {
            await page.evaluate(() => scrollTo({ top: 0 }))
            await page.screenshot({ path: resolve(ARTIFACTS, `${view}-${name}-${scheme}.png`), fullPage: true })
          }
          expect(await page.evaluate(() => document.documentElement.scrollWidth), `${view} ${name} ${scheme}`).toBeLessThanOrEqual(viewport.width)
        }
        await page.evaluate(() => { location.hash = '' })
        await page.locator('.runs .run-row').first().waitFor()
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width)
        expect(await violations()).toEqual([])
      }
    }

    // The toggle overrides the system's choice and survives a reload.
    const { page } = await adminConsole({ colorScheme: 'light' })
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    const light = await background()
    await page.locator('#theme').click()
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark')
    expect(await background()).not.toBe(light)
    await page.reload()
    await page.locator('.runs-view').waitFor()
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark')
    expect(await page.evaluate(() => localStorage.getItem('hookgate.console.theme'))).toBe('dark')

    // Every control is a comfortable touch target at phone width.
    const small = await page.locator('button:visible, a.button:visible, .run-row, select:visible, input:visible, summary:visible').evaluateAll((nodes) =>
      nodes.map((n) => n.getBoundingClientRect()).filter((r) => r.height < 44 || r.width < 44).length)
    expect(small).toBe(0)
  })
})
