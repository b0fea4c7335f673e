import { describe, expect, it } from 'vitest'
import { bwrapArgv, type SandboxLayout } from '../../../src/runner/sandbox/bwrap-argv.ts'

const layout: SandboxLayout = {
  cwd: '/home/u/project',
  writable: ['/home/u/project', '/home/u/project/.hookgate/agents/c1', '/tmp/hookgate-run-1'],
  hidden: [{ path: '/home/u/project/.hookgate', kind: 'dir' }, { path: '/home/u/project/hookgate.yaml', kind: 'file' }]
}

/** The mounts after the fixed ones (which end with the fresh /tmp), as "op path" strings, in order. */
function mounts (argv: string[]): string[] {
  const out: string[] = []
  for (let i = argv.indexOf('/tmp') + 1; i < argv.indexOf('--'); i++) {
    const op = argv[i]
    if (op === '--bind') out.push(`bind ${argv[i + 2]}`)
    if (op === '--tmpfs') out.push(`tmpfs ${argv[i + 1]}`)
    if (op === '--ro-bind' && argv[i + 1] === '/dev/null') out.push(`null ${argv[i + 2]}`)
    if (op === '--remount-ro') out.push(`ro ${argv[i + 1]}`)
  }
  return out
}

describe('bwrapArgv', () => {
  it('builds the whole command line in the order bwrap applies it', () => {
    expect(bwrapArgv('/usr/bin/bwrap', ['claude', '-p', 'hello'], layout)).toEqual([
      '/usr/bin/bwrap',
      '--unshare-pid', '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
      '--ro-bind', '/', '/',
      '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp',
      '--bind', '/tmp/hookgate-run-1', '/tmp/hookgate-run-1',
      '--bind', '/home/u/project', '/home/u/project',
      '--tmpfs', '/home/u/project/.hookgate',
      '--ro-bind', '/dev/null', '/home/u/project/hookgate.yaml',
      '--bind', '/home/u/project/.hookgate/agents/c1', '/home/u/project/.hookgate/agents/c1',
      '--remount-ro', '/home/u/project/.hookgate',
      '--chdir', '/home/u/project',
      '--', 'claude', '-p', 'hello'
    ])
  })

  it('binds a writable path inside a hidden one after the covering, whatever order it was given in', () => {
    const shuffled = { ...layout, writable: [...layout.writable].reverse(), hidden: [...layout.hidden].reverse() }
    const order = mounts(bwrapArgv('/b', ['x'], shuffled))
    expect(order.indexOf('tmpfs /home/u/project/.hookgate')).toBeLessThan(order.indexOf('bind /home/u/project/.hookgate/agents/c1'))
    // …and hides what is inside a writable path after binding that path.
    expect(order.indexOf('bind /home/u/project')).toBeLessThan(order.indexOf('tmpfs /home/u/project/.hookgate'))
    expect(order.indexOf('bind /home/u/project')).toBeLessThan(order.indexOf('null /home/u/project/hookgate.yaml'))
    // The covering turns read-only only once everything below it is mounted.
    expect(order.at(-1)).toBe('ro /home/u/project/.hookgate')
  })

  it('keeps a path that is both writable and hidden hidden', () => {
    const argv = bwrapArgv('/b', ['x'], { cwd: '/w', writable: ['/w', '/s'], hidden: [{ path: '/s', kind: 'dir' }] })
    expect(mounts(argv)).toEqual(['bind /w', 'bind /s', 'tmpfs /s', 'ro /s'])
  })

  it('passes the agent argv after "--" untouched, each element one argument', () => {
    const prompt = '-rf $(touch pwned) "quoted" \'single\' `tick`; echo hi\n--help'
    const argv = bwrapArgv('/b', ['-weird name', '--', prompt, ''], { cwd: '/w', writable: ['/w'], hidden: [] })
    expect(argv.slice(argv.indexOf('--') + 1)).toEqual(['-weird name', '--', prompt, ''])
    expect(argv.indexOf('--')).toBe(argv.length - 5)
  })

  it('keeps paths with spaces or dashes as single arguments', () => {
    const argv = bwrapArgv('/b', ['x'], { cwd: '/w/my project', writable: ['/w/my project', '/w/-dash'], hidden: [{ path: '/w/my project/my state', kind: 'dir' }] })
    expect(mounts(argv)).toEqual(['bind /w/my project', 'bind /w/-dash', 'tmpfs /w/my project/my state', 'ro /w/my project/my state'])
    expect(argv).toContain('/w/my project/my state')
    expect(argv.slice(argv.indexOf('--chdir'), argv.indexOf('--chdir') + 2)).toEqual(['--chdir', '/w/my project'])
  })

  it('shares the network (the agent must reach its model API)', () => {
    const argv = bwrapArgv('/b', ['x'], layout)
    expect(argv).not.toContain('--unshare-net')
    expect(argv).not.toContain('--unshare-all')
  })

  it('normalises paths so that nesting is judged on real components', () => {
    const argv = bwrapArgv('/b', ['x'], { cwd: '/w/', writable: ['/w//a/../s/'], hidden: [{ path: '/w/', kind: 'dir' }] })
    expect(mounts(argv)).toEqual(['tmpfs /w', 'bind /w/s', 'ro /w'])
    expect(argv).toContain('/w')
  })

  it('refuses what would make the sandbox meaningless or ambiguous', () => {
    const ok: SandboxLayout = { cwd: '/w', writable: ['/w'], hidden: [] }
    expect(() => bwrapArgv('/b', [], ok)).toThrow(RangeError)
    expect(() => bwrapArgv('', ['x'], ok)).toThrow(RangeError)
    expect(() => bwrapArgv('/b', ['x'], { ...ok, writable: ['/'] })).toThrow(/root/)
    expect(() => bwrapArgv('/b', ['x'], { ...ok, writable: ['relative/dir'] })).toThrow(/absolute/)
    expect(() => bwrapArgv('/b', ['x'], { ...ok, cwd: 'relative' })).toThrow(/absolute/)
    expect(() => bwrapArgv('/b', ['x'], { ...ok, hidden: [{ path: '/a\0b', kind: 'file' }] })).toThrow(/NUL/)
    // "/" is a fine place to start in, just not to mount.
    expect(bwrapArgv('/b', ['x'], { cwd: '/', writable: [], hidden: [] })).toContain('/')
  })
})
