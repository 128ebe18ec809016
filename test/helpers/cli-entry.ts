/**
 * The CLI as `bin/gatehouse.js` runs it (`main` with the arguments and the package's
 * version, its answer as the exit code), bundled by the `before` script
 * (test/helpers/bundles.ts) for the CLI tests to spawn: the shim runs the sources through
 * tsx, 1.5 s of CPU per child against 0.5 s for the bundle. test/cli/main.test.ts still
 * runs the shim itself.
 */
import { readFileSync } from 'node:fs'
import { main } from '../../src/cli/main.js'

// The bundle lives in node_modules/.cache/gatehouse-test-bundles/: the package is three folders up.
const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
process.exitCode = await main(process.argv.slice(2), undefined, { version })
