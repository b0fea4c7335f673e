// The prompt reaches the agent byte for byte (as exactly one argument, or as a stream-json message on
// stdin for Claude), and no shell ever sees it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fixture, run } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'hookgate-argv-'))
const marker = join(dir, 'pwned')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const HOSTILE = [
  `$(touch ${marker})`,
  `; touch ${marker}`,
  `\`touch ${marker}\``,
  `-p --dangerously-skip-permissions | touch ${marker} && echo "quoted 'x'" > ${marker}`,
  `--allowedTools Bash\n--\nsecond line\ttab ünïcødé 😀`
]

interface Echo { prompt: string, prompt_source: string, argv: string[], allowed_tools: string[], disallowed_tools: string[] }

describe('prompt as one argument, never through a shell', () => {
  it.each(HOSTILE)('claude profile: %j arrives verbatim, as a stdin message and never in argv', async (prompt) => {
    const { outcome } = await run({ prompt, tools: { allow: ['Read', 'Bash(git status:*)'], deny: ['Bash(rm:*)'] } })
    expect(outcome.status).toBe('succeeded')
    const echo = JSON.parse(outcome.output) as Echo
    expect(echo.prompt).toBe(prompt)
    expect(echo.prompt_source).toBe('stream-json')
    expect(echo.argv).not.toContain(prompt)
    expect(echo.argv).not.toContain('--')
    expect(echo.allowed_tools).toEqual(['Read', 'Bash(git status:*)'])
    expect(echo.disallowed_tools).toEqual(['Bash(rm:*)'])
    expect(existsSync(marker)).toBe(false)
  })

  it.each(HOSTILE)('command profile: %j arrives verbatim', async (prompt) => {
    const { outcome } = await run({
      prompt,
      agent: { profile: 'command', argv: [process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', '--', '{prompt}'] }
    })
    expect(outcome.status).toBe('succeeded')
    expect(JSON.parse(outcome.output)).toEqual([prompt])
    expect(existsSync(marker)).toBe(false)
  })

  it('command profile without {prompt} gets the prompt on stdin', async () => {
    const { outcome } = await run({
      prompt: `$(touch ${marker})`,
      agent: { profile: 'command', argv: [process.execPath, '-e', 'process.stdin.pipe(process.stdout)'] }
    })
    expect(outcome).toMatchObject({ status: 'succeeded', output: `$(touch ${marker})\n` })
    expect(existsSync(marker)).toBe(false)
  })

  it('the fake agent refuses stream-json without --verbose, like the real CLI', async () => {
    const { outcome } = await run({ agent: { profile: 'command', argv: [process.execPath, fixture('fake-claude.mjs'), '-p', '--output-format', 'stream-json', '--', '{prompt}'] } })
    expect(outcome.status).toBe('failed')
    expect(outcome.error).toContain('requires --verbose')
  })
})
