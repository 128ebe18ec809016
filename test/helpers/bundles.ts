/**
 * What the `before` script bundles with esbuild (test/setup/bundles.ts) and where it leaves
 * it: the worker threads' entries, which the run starts without the tests' loader
 * (`GATEHOUSE_WORKER_DIR` in `.taprc`, src/service/worker-file.ts), and the CLI, which the
 * CLI tests spawn (test/cli/helpers.ts). Under node_modules, so that tap's coverage leaves
 * the bundles out (their sources are covered where the tests run them in process, and by
 * the TypeScript entries some tests still start). A fixed path, since env vars set in
 * `before` do not reach test files.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

export const BUNDLES = join(repoRoot, 'node_modules', '.cache', 'gatehouse-test-bundles')

/** Bundle name -> entry source. */
export const BUNDLE_ENTRIES = {
  'policy-worker': join(repoRoot, 'src', 'service', 'policy-worker.ts'),
  'yaml-worker': join(repoRoot, 'src', 'service', 'yaml-worker.ts'),
  'failing-policy-worker': join(repoRoot, 'test', 'helpers', 'failing-policy-worker.ts'),
  cli: join(repoRoot, 'test', 'helpers', 'cli-entry.ts')
} as const

/** The file of bundle `name`; a worker starts it without the tests' loader (`execArgv: []`). */
export function bundleFile (name: keyof typeof BUNDLE_ENTRIES): string {
  return join(BUNDLES, `${name}.mjs`)
}

/** `bundleFile` as a URL, for `new Worker`. */
export function bundleUrl (name: keyof typeof BUNDLE_ENTRIES): URL {
  return pathToFileURL(bundleFile(name))
}
