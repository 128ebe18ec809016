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

/** A bundle with one condition (so that it compiles on a thread) on a module named `name`. */
const bundle = (name: string): Record<string, unknown> => ({
  version: 1,
  modules: { [name]: { attributes: { amount: 'number' }, actions: { view: { level: 'limited', when: 'resource.amount > 1.0' } } } },
  roles: { clerk: { modules: { [name]: { access: 'all', level: 'limited' } } } }
})

const FAILING = new URL('../helpers/failing-policy-worker.ts', import.meta.url)

// Each replaced thread loads the TypeScript sources again through the test loader: 5 to 15 s
// apiece on a loaded 2-core machine, five of them per backend (from `dist/`, a thread was
// ready in 0.3 to 0.4 s at load 10).
t.setTimeout(360_000)

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
    const { app, services, rootKey } = await appWith(t, backend.store, { file: FAILING, threads: 1, timeoutMs: 1500 })
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

  await t.test('where threads cannot start, the work runs in place and still answers', async t => {
    const { app, services, rootKey } = await appWith(t, backend.store, { file: new URL('../helpers/no-such-worker.ts', import.meta.url) })
    const { tenant, adminKey } = await setupTenant(t, app, rootKey)
    const res = await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, { key: adminKey, body: bundle('fine') })
    t.equal(res.statusCode, 200, { body: res.body })
    const diff = await call(app, 'POST', `/v1/tenants/${tenant}/policy/diff`, { key: adminKey, body: { bundle: bundle('other') } })
    t.equal(diff.statusCode, 200, { body: diff.body })
    t.strictSame(services.policyWorkers.failures, { crash: 0, timeout: 0, busy: 0 }, 'not a failure of a job')
  })
})
