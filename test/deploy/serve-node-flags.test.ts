// The gateway's Node flags (src/cli/serve-node-flags.ts) must be on node's command line, so every
// launcher carries its own copy: these must not drift from the one list.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SERVE_NODE_FLAGS } from '../../src/cli/serve-node-flags.ts'

const ROOT = join(import.meta.dirname, '../..')

describe('the gateway\'s Node flags', () => {
  // The Docker entrypoint's are checked by running it (containers.test.ts).
  it('are given by the systemd unit, before the entry file', () => {
    const unit = readFileSync(join(ROOT, 'deploy/hookgate.service'), 'utf8')
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? ''
    expect(execStart).toBe(`/usr/bin/node ${SERVE_NODE_FLAGS.join(' ')} /opt/hookgate/bin/hookgate.js serve --config /etc/hookgate/hookgate.yaml`)
  })

  it('are given by npm start and by the hookgate command\'s first line', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(pkg.scripts.start).toBe(`node ${SERVE_NODE_FLAGS.join(' ')} bin/hookgate.js serve`)
    const shebang = readFileSync(join(ROOT, 'bin/hookgate.js'), 'utf8').split('\n')[0]
    expect(shebang).toBe(`#!/usr/bin/env -S node ${SERVE_NODE_FLAGS.join(' ')}`)
  })
})
