import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { bwrapStatus, findBwrap, probeBwrap } from '../../../src/runner/sandbox/find-bwrap.ts'
import { insideTmpDir, removeDirs } from './helpers.ts'

const dirs: string[] = []
afterEach(() => removeDirs(dirs))

/** A directory holding an executable `bwrap` that runs `body` (a shell script), to fake failures. */
function fakeBwrap (body: string): string {
  const dir = insideTmpDir()
  dirs.push(dir)
  const path = join(dir, 'bwrap')
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return dir
}

describe('finding and probing bwrap', () => {
  it('finds the real bwrap and starts a sandbox with it in well under the probe timeout', async () => {
    const status = await bwrapStatus(process.env.PATH)
    // The probe's message is the failure: this machine must be able to sandbox.
    if (!status.ok) throw new Error(status.message)
    const probe = await probeBwrap(status.path)
    expect(probe).toMatchObject({ ok: true })
    expect(probe.ok && probe.ms).toBeLessThan(1000)
  })

  it('says so when bwrap is not on PATH, ignoring relative PATH entries', async () => {
    const dir = fakeBwrap('exit 0')
    expect(findBwrap(`relative/dir:${dir}`)).toBe(join(dir, 'bwrap'))
    expect(findBwrap('relative/dir:')).toBeNull()
    const status = await bwrapStatus('/nonexistent')
    expect(status).toEqual({ ok: false, message: expect.stringMatching(/^bwrap \(bubblewrap\) is not on PATH: install it .* or set sandbox: none$/) })
  })

  it('passes on what bwrap said when it cannot create a sandbox (user namespaces off)', async () => {
    const dir = fakeBwrap('echo "bwrap: setting up uid map: Permission denied" >&2; exit 1')
    const status = await bwrapStatus(dir)
    expect(status.ok).toBe(false)
    expect(!status.ok && status.message).toMatch(/^bwrap \(.*\/bwrap\) cannot create a sandbox here: bwrap: setting up uid map: Permission denied; unprivileged user namespaces may be disabled/)
  })

  it('gives up on a probe that hangs', async () => {
    const dir = fakeBwrap('exec sleep 10')
    const started = performance.now()
    expect(await probeBwrap(join(dir, 'bwrap'), 200)).toEqual({ ok: false, message: `bwrap (${join(dir, 'bwrap')}) did not start a sandbox within 200 ms` })
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('reports a binary that cannot be run, and a system without bubblewrap', async () => {
    expect(await probeBwrap('/nonexistent/bwrap')).toEqual({ ok: false, message: 'bwrap (/nonexistent/bwrap) could not be run (ENOENT)' })
    expect(await bwrapStatus(process.env.PATH, 'darwin')).toEqual({ ok: false, message: 'bubblewrap needs Linux (this is darwin); set sandbox: none' })
  })
})
