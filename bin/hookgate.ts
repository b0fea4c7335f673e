#!/usr/bin/env node
// The `hookgate` command: one subcommand per module under src/cli/.
import { main } from '../src/cli/main.ts'

process.exitCode = await main(process.argv.slice(2), process.env)
