// hookgate runs its TypeScript sources through Node's own type stripping and uses APIs of Node 24.
import { fail, ok, type Check } from './check.ts'

const MINIMUM_MAJOR = 24

export function nodeVersionCheck (version: string = process.versions.node): Check {
  const major = Number(version.split('.')[0])
  if (Number.isInteger(major) && major >= MINIMUM_MAJOR) return ok('node', `Node.js ${version}`)
  return fail('node', `Node.js ${version} is too old: hookgate needs ${MINIMUM_MAJOR} or newer`, {
    fix: `install Node.js ${MINIMUM_MAJOR} or newer (https://nodejs.org, or your distribution's nodejs package) and run hookgate with it`
  })
}
