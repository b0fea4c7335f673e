import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bwrapArgv } from '../../../src/runner/sandbox/bwrap-argv.ts'
import { resolveSandboxLayout } from '../../../src/runner/sandbox/sandbox-layout.ts'
import { fixture, outsideTmpDir, removeDirs, Started, usableBwrap } from './helpers.ts'

let bwrap = ''
const dirs: string[] = []
const started = new Started()
beforeAll(async () => { bwrap = await usableBwrap() })
afterEach(() => {
  started.killAll()
  removeDirs(dirs)
})

/** real/{work,state/db,config.yaml} and, next to it, links/{work,state,config.yaml} pointing there. */
function linkedTree () {
  const base = realpathSync(outsideTmpDir())
  dirs.push(base)
  const real = join(base, 'real')
  const links = join(base, 'links')
  mkdirSync(join(real, 'work'), { recursive: true })
  mkdirSync(join(real, 'state'))
  mkdirSync(links)
  writeFileSync(join(real, 'state', 'db'), 'secret database')
  writeFileSync(join(real, 'config.yaml'), 'secret config')
  for (const name of ['work', 'state', 'config.yaml']) symlinkSync(join(real, name), join(links, name))
  return { base, real, links }
}

describe('resolveSandboxLayout', () => {
  it('resolves symbolic links and tells hidden directories from files', () => {
    const { real, links } = linkedTree()
    expect(resolveSandboxLayout({
      cwd: join(links, 'work'),
      writable: [join(links, 'work')],
      hidden: [join(links, 'state'), join(links, 'config.yaml')]
    })).toEqual({
      cwd: join(real, 'work'),
      writable: [join(real, 'work')],
      hidden: [{ path: join(real, 'state'), kind: 'dir' }, { path: join(real, 'config.yaml'), kind: 'file' }]
    })
  })

  it('leaves out a hidden path that does not exist, and refuses a missing writable one', () => {
    const { real } = linkedTree()
    const cwd = join(real, 'work')
    expect(resolveSandboxLayout({ cwd, writable: [cwd], hidden: [join(real, 'nothing'), join(real, 'config.yaml', 'below-a-file')] }).hidden).toEqual([])
    expect(() => resolveSandboxLayout({ cwd, writable: [join(real, 'nothing')], hidden: [] })).toThrow(/writable path does not exist/)
    expect(() => resolveSandboxLayout({ cwd: join(real, 'nothing'), writable: [], hidden: [] })).toThrow(/working directory does not exist/)
    expect(() => resolveSandboxLayout({ cwd: 'relative', writable: [], hidden: [] })).toThrow(/absolute/)
  })

  it('makes paths reached through symbolic links work with the real bwrap, hidden ones hidden', async () => {
    const { links } = linkedTree()
    const layout = resolveSandboxLayout({ cwd: join(links, 'work'), writable: [join(links, 'work')], hidden: [join(links, 'state'), join(links, 'config.yaml')] })
    const plan = { read: [join(links, 'state', 'db'), join(links, 'config.yaml')], write: [join(links, 'work', 'out')] }
    const result = await started.run(bwrapArgv(bwrap, [process.execPath, fixture('sandbox/inspect.mjs'), JSON.stringify(plan)], layout), {})
    expect(result.stderr).toBe('')
    const seen = JSON.parse(result.stdout) as { read: Record<string, { ok?: string, error?: string }>, write: Record<string, { error?: string }> }
    expect(seen.read[join(links, 'state', 'db')]).toEqual({ error: 'ENOENT' })
    expect(seen.read[join(links, 'config.yaml')]?.ok ?? '').toBe('')
    expect(seen.write[join(links, 'work', 'out')]).toEqual({ ok: true })
  })
})
