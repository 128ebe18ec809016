#!/usr/bin/env node
// The `gatehouse` command of @gatehouse-pdp/cli: the repository's src/cli, compiled with
// only what it imports (the engine, the policy-test runner, the diff, the templates).
// Inside the repository, `npx gatehouse` runs the root package's bin instead (from sources).
import { readFileSync } from 'node:fs'
import { main } from '../dist/src/cli/main.js'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
process.exitCode = await main(process.argv.slice(2), undefined, { version })
