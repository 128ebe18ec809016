/**
 * Part of the tap `before` script: bundles what test/helpers/bundles.ts lists with esbuild,
 * so that a worker thread or a CLI child runs JavaScript instead of loading the sources
 * through a TypeScript loader again: under the tests' loader a policy thread spent 2.5 s
 * of CPU before its first job (the bundle: 0.6 to 0.7 s), and a CLI child through tsx 1.5 s
 * (the bundle: 0.5 s). Rebuilt on every run (0.6 to 1.4 s of wall seen), so a bundle is never
 * older than the sources.
 */
import { mkdir, rename, rm } from 'node:fs/promises'
import { build } from 'esbuild'
import { BUNDLE_ENTRIES, BUNDLES, bundleFile } from '../helpers/bundles.js'

const started = Date.now()
await mkdir(BUNDLES, { recursive: true })
await Promise.all(Object.entries(BUNDLE_ENTRIES).map(async ([name, entry]) => {
  const out = bundleFile(name as keyof typeof BUNDLE_ENTRIES)
  // Written aside and renamed, so that nothing ever loads half a bundle.
  const tmp = `${out}.${process.pid}.tmp.mjs`
  try {
    await build({
      entryPoints: [entry],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Dependencies load from node_modules as in the service; only gatehouse's sources are bundled.
      packages: 'external',
      logLevel: 'error'
    })
    await rename(tmp, out)
  } finally {
    await rm(tmp, { force: true })
  }
}))
console.log(`# test bundles built in ${Date.now() - started} ms`)
