#!/usr/bin/env node
// The `gatehouse` command of @gatehouse-pdp/cli: the repository's src/cli, compiled with
// only what it imports (the engine, the policy-test runner, the diff, the templates).
// Inside the repository (a workspace, where `npx gatehouse` lands here) and before a
// build, it runs those sources through tsx, a dev dependency of the repository.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const built = new URL('../dist/src/cli/main.js', import.meta.url)

async function loadCli () {
  if (existsSync(fileURLToPath(built))) return await import(built.href)
  let tsx
  try {
    tsx = await import('tsx/esm/api')
  } catch {
    process.stderr.write('gatehouse: this package has no build (dist/): reinstall it, or run `npm run build` in packages/cli\n')
    return undefined
  }
  return await tsx.tsImport('../../../src/cli/main.ts', import.meta.url)
}

const cli = await loadCli()
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
process.exitCode = cli === undefined ? 3 : await cli.main(process.argv.slice(2), undefined, { version })
