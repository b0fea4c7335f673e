#!/usr/bin/env -S node --max-semi-space-size=4 --no-maglev
// The `hookgate` command: one subcommand per module under src/cli/.
import module from 'node:module'
import { homedir } from 'node:os'
import { join } from 'node:path'

// Node keeps the compiled (type-stripped) sources here between starts: a warm start skips stripping
// and compiling every module, about 300 ms and 15 MB less. Per user, never a shared temporary
// directory: a cache someone else could write is code we would run. Without a usable directory Node
// just compiles as usual.
if (process.env.NODE_COMPILE_CACHE === undefined) {
  module.enableCompileCache(join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hookgate', 'node-compile-cache'))
}

// Imported only now, so that every module after this line is loaded through the cache.
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2), process.env)
