#!/usr/bin/env -S node --max-semi-space-size=4 --no-maglev
// The `hookgate` command: one subcommand per module under src/cli/.
//
// JavaScript, not TypeScript, and it has to stay so: Node strips a TypeScript file's types with a
// WebAssembly build of SWC that it loads the first time it strips one, and this file is loaded before
// the compile cache below is on. As a .ts file it loaded the stripper into every process, about 20 MB
// of a gateway's 135 MB at rest; with every other module served from the cache it is never loaded.
import module from 'node:module'
import { homedir } from 'node:os'
import { join } from 'node:path'

// Node keeps the compiled (type-stripped) sources here between starts: a warm start skips stripping
// and compiling every module, about 300 ms and 15 MB less. Per user, never a shared temporary
// directory: a cache someone else could write is code we would run. Without a usable directory Node
// just compiles as usual.
//
// The processes hookgate starts for itself (its spawner) are given the same cache through
// NODE_COMPILE_CACHE; without it the spawner stripped its modules' types at every start, loading the
// stripper into a process that exists to stay small (81 MB at rest instead of 52).
if (process.env.NODE_COMPILE_CACHE === undefined) {
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hookgate', 'node-compile-cache')
  module.enableCompileCache(cache)
  process.env.NODE_COMPILE_CACHE = cache
}

// Imported only now, so that every module after this line is loaded through the cache.
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2), process.env)
