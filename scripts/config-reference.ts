// Prints docs/configuration.md: node scripts/config-reference.ts > docs/configuration.md
import { configReference } from '../src/config/config-reference.ts'

process.stdout.write(configReference())
