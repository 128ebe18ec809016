/**
 * Policy work on worker threads (src/service/policy-workers.ts) fails loudly and never
 * hangs: a thread that dies mid-job or overruns its time answers the request 503 with
 * `Retry-After`, writes nothing, is logged and counted (`gatehouse_policy_worker_failures_total`),
 * and the next job gets a new thread. Where threads cannot start at all, the work runs in
 * place and still answers.
 */
import t from 'tap'
import type { Test } from 'tap'
import { buildApp } from '../../src/http/app.js'
import { createServices } from '../../src/service/index.js'
import type { PolicyWorkersOptions } from '../../src/service/index.js'
import type { Store } from '../../src/store/store.js'
import { call, eachBackend, setupTenant, testConfig } from '../helpers/build-app.js'
import { bundleUrl } from '../helpers/bundles.js'

/** A bundle with one condition (so that it compiles on a thread) on a module named `name`. */
const bundle = (name: string): Record<string, unknown> => ({
  version: 1,
  modules: { [name]: { attributes: { amount: 'number' }, actions: { view: { level: 'limited', when: 'resource.amount > 1.0' } } } },
  roles: { clerk: { modules: { [name]: { access: 'all', level: 'limited' } } } }
})

/**
 * The failing thread, bundled by the `before` script and started without the tests'
 * loader, like every thread of the test run (`GATEHOUSE_WORKER_DIR`): five threads are
 * started per backend, and each one under the loader compiles the sources again (2.5 s
 * of CPU, 5 to 15 s of wall on the loaded 2-core machine; the bundle 0.6 to 0.7 s).
 */
const FAILING = { entry: { file: bundleUrl('failing-policy-worker'), execArgv: [] } }

/** The service's own TypeScript entry, under the tests' loader as under tsx: the path a run from the sources takes. */
const TS_ENTRY = new URL('../../src/service/policy-worker.ts', import.meta.url)

// The TypeScript entry below loads the sources again through the loader: seconds on a loaded machine.
t.setTimeout(180_000)

async function appWith (t: Test, store: Store, policyWorkers: Omit<PolicyWorkersOptions, 'log'>) {
  const config = testConfig({ metrics: true })
  const services = createServices({ store, rootKey: config.rootKey, policyWorkers })
  const app = buildApp({ store, config, services })
  t.teardown(async () => { await app.close() })
  await app.ready()
  return { app, services, rootKey: config.rootKey }
}

const failuresMetric = async (app: Awaited<ReturnType<typeof appWith>>['app'], kind: string): Promise<number> => {
  const scraped = await app.metrics?.scrape()
  const body = scraped?.body ?? ''
  const line = body.split('\n').find(l => l.startsWith(`gatehouse_policy_worker_failures_total{kind="${kind}"}`))
  return Number(line?.split(' ')[1] ?? Number.NaN)
}

await eachBackend(t, async (t, backend) => {
  await t.test('a thread that dies or overruns mid-job answers 503, writes nothing, is counted, and is replaced', async t => {
    const { app, services, rootKey } = await appWith(t, backend.store, { ...FAILING, threads: 1, timeoutMs: 1500 })
    const { tenant, adminKey } = await setupTenant(t, app, rootKey)
    const put = async (name: string) => await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, { key: adminKey, body: bundle(name) })
    const first = await put('fine')
    t.equal(first.statusCode, 200, 'compiled on the thread', { body: first.body })
    const revision = first.json().revision as number

    for (const [name, kind] of [['crash', 'crash'], ['hang', 'timeout']] as const) {
      const started = performance.now()
      const failed = await put(name)
      t.equal(failed.statusCode, 503, `${kind}: 503`, { body: failed.body })
      t.match(failed.json(), { code: 'unavailable' })
      t.ok(Number(failed.headers['retry-after']) > 0, `${kind}: Retry-After`)
      t.ok(performance.now() - started < 30_000, `${kind}: answered, not hung`)
      t.equal(services.policyWorkers.failures[kind], 1, `${kind}: counted`)
      t.equal(await failuresMetric(app, kind), 1, `${kind}: in the metrics`)
      const stored = await call(app, 'GET', `/v1/tenants/${tenant}/policy`, { key: adminKey })
      t.strictSame(Object.keys(stored.json().modules), ['fine'], `${kind}: the policy is unchanged`)
      t.equal(stored.headers.etag, `"${revision}"`, `${kind}: no new revision`)
      // The other routes that send work to the thread, one per failure: each new thread costs seconds to load under the test's TypeScript loader.
      const other = kind === 'crash'
        ? await call(app, 'POST', `/v1/tenants/${tenant}/policy/diff`, { key: adminKey, body: { bundle: bundle(name) } })
        : await call(app, 'POST', `/v1/tenants/${tenant}/policy/tests`, {
          key: adminKey, body: { bundle: bundle(name), subjects: { a: { roles: ['clerk'] } }, resources: [], cases: [{ subject: 'a', action: 'view', resource: { type: name, id: 'x' }, expect: 'deny' }] }
        })
      t.equal(other.statusCode, 503, `${kind}: ${kind === 'crash' ? 'a diff' : 'a suite'} too`, { body: other.body })
      t.equal(services.policyWorkers.failures[kind], 2, `${kind}: each counted`)
    }
    const next = await put('fine_again')
    t.equal(next.statusCode, 200, 'the next job gets a new thread', { body: next.body })
  })

  // The entry this run starts by default (the bundle `GATEHOUSE_WORKER_DIR` names, without the
  // loader), and the service's TypeScript entry under the loader, as a run from the sources starts it.
  for (const [entry, options] of [['the default entry', {}], ['the TypeScript entry, under the loader,', { entry: { file: TS_ENTRY } }]] as const) {
    await t.test(`${entry} starts and compiles, diffs and runs suites on its thread`, { skip: backend.name === 'pglite' ? false : 'once is enough: the store plays no part in starting a thread' }, async t => {
      // A thread that cannot start makes the pool run everything in place, which answers 200
      // as well: its warning is what tells the two apart.
      const warnings: string[] = []
      const onWarning = (w: Error): void => { warnings.push(w.message) }
      process.on('warning', onWarning)
      t.teardown(() => { process.off('warning', onWarning) })
      const { app, services, rootKey } = await appWith(t, backend.store, { ...options, threads: 1 })
      const { tenant, adminKey } = await setupTenant(t, app, rootKey)
      const put = await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, { key: adminKey, body: bundle('fine') })
      t.equal(put.statusCode, 200, 'compiled on the thread', { body: put.body })
      const diff = await call(app, 'POST', `/v1/tenants/${tenant}/policy/diff`, { key: adminKey, body: { bundle: bundle('other') } })
      t.equal(diff.statusCode, 200, 'diffed on the thread', { body: diff.body })
      const suite = await call(app, 'POST', `/v1/tenants/${tenant}/policy/tests`, {
        key: adminKey, body: { bundle: bundle('fine'), subjects: { a: { roles: ['clerk'] } }, resources: [], cases: [{ subject: 'a', action: 'view', resource: { type: 'fine', id: 'x' }, expect: 'deny' }] }
      })
      t.equal(suite.statusCode, 200, 'the suite ran on the thread', { body: suite.body })
      t.strictSame(services.policyWorkers.failures, { crash: 0, timeout: 0, busy: 0 }, 'no failure')
      await new Promise(resolve => setImmediate(resolve))
      t.strictSame(warnings.filter(w => w.includes('cannot start')), [], 'the thread started: nothing ran in place')
    })
  }

  await t.test('where threads cannot start, the work runs in place and still answers', async t => {
    const { app, services, rootKey } = await appWith(t, backend.store, { entry: { file: new URL('../helpers/no-such-worker.ts', import.meta.url) } })
    const { tenant, adminKey } = await setupTenant(t, app, rootKey)
    const res = await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, { key: adminKey, body: bundle('fine') })
    t.equal(res.statusCode, 200, { body: res.body })
    const diff = await call(app, 'POST', `/v1/tenants/${tenant}/policy/diff`, { key: adminKey, body: { bundle: bundle('other') } })
    t.equal(diff.statusCode, 200, { body: diff.body })
    t.strictSame(services.policyWorkers.failures, { crash: 0, timeout: 0, busy: 0 }, 'not a failure of a job')
  })
})
