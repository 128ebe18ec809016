#!/usr/bin/env node
// The `gatehouse` command. Runs the compiled CLI (dist/, from `npm run build`) when it
// exists, else the TypeScript sources through tsx (a dev dependency, so a plain
// `npm ci` checkout works). GATEHOUSE_CLI_FROM_SOURCE=1 forces the sources, so that a
// stale dist/ never hides a change (the tests set it).
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const built = new URL('../dist/src/cli/main.js', import.meta.url)
const fromSource = process.env.GATEHOUSE_CLI_FROM_SOURCE !== undefined && process.env.GATEHOUSE_CLI_FROM_SOURCE !== ''

async function loadCli () {
  if (!fromSource && existsSync(fileURLToPath(built))) return await import(built.href)
  let tsx
  try {
    tsx = await import('tsx/esm/api')
  } catch {
    process.stderr.write('gatehouse: no compiled CLI in dist/ and no tsx to run the sources: run `npm run build` or `npm ci`\n')
    return undefined
  }
  return await tsx.tsImport('../src/cli/main.ts', import.meta.url)
}

const cli = await loadCli()
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
process.exitCode = cli === undefined ? 3 : await cli.main(process.argv.slice(2), undefined, { version })
