/**
 * src/service/worker-file.ts: which entry a worker thread starts. The test run itself sets
 * GATEHOUSE_WORKER_DIR (.taprc); each case here sets or clears it and puts it back.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { workerEntry, workerFile } from '../../src/service/worker-file.js'

const withDir = (value: string | undefined, fn: () => void): void => {
  const before = process.env.GATEHOUSE_WORKER_DIR
  if (value === undefined) delete process.env.GATEHOUSE_WORKER_DIR
  else process.env.GATEHOUSE_WORKER_DIR = value
  try {
    fn()
  } finally {
    if (before === undefined) delete process.env.GATEHOUSE_WORKER_DIR
    else process.env.GATEHOUSE_WORKER_DIR = before
  }
}

t.test('the sibling entry: .ts beside a module run from the sources, .js beside one from dist/', async t => {
  t.equal(workerFile('file:///app/src/service/policy-workers.ts', 'policy-worker').href, 'file:///app/src/service/policy-worker.ts')
  t.equal(workerFile('file:///app/dist/src/service/policy-workers.js', 'policy-worker').href, 'file:///app/dist/src/service/policy-worker.js')
})

t.test('without GATEHOUSE_WORKER_DIR (or empty), the sibling, with the parent\'s options', async t => {
  for (const value of [undefined, '']) {
    withDir(value, () => {
      t.strictSame(workerEntry('file:///app/src/service/yaml-parse.ts', 'yaml-worker'), { file: new URL('file:///app/src/service/yaml-worker.ts') }, `${String(value)}: no execArgv`)
    })
  }
})

t.test('with GATEHOUSE_WORKER_DIR, the bundle <name>.mjs there, without the parent\'s loader', async t => {
  withDir('/bundles', () => {
    t.strictSame(workerEntry('file:///app/src/service/policy-workers.ts', 'policy-worker'), { file: pathToFileURL('/bundles/policy-worker.mjs'), execArgv: [] })
  })
  withDir('some/dir', () => {
    t.equal(workerEntry('file:///app/src/service/policy-workers.ts', 'policy-worker').file.href, pathToFileURL(resolve('some/dir/policy-worker.mjs')).href, 'relative to the working directory')
  })
})
