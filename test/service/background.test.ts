/**
 * No silent background failure (issue 13): a refresh of a tenant state that fails where
 * nobody waits for it (the change feed's, a write's that found the state behind) and a
 * revision poll that fails are each logged and counted, and once one has kept failing for
 * longer than the bound the services are not ready; the next success clears it.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createServices } from '../../src/service/index.js'
import { Background } from '../../src/service/background.js'
import { StoreUnavailableError } from '../../src/store/errors.js'
import { eachBackend } from '../helpers/build-app.js'
import { exampleBundle } from '../http/fixtures.js'
import { flakyStore, REFRESH_READS } from './flaky-store.js'

const fresh = (): string => `b-${randomBytes(5).toString('hex')}`

/** Waits until `check` holds (background work runs on later ticks). */
async function until (check: () => boolean, what: string): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > 5000) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

t.test('the bound: a failure younger than it is counted and logged but keeps the process ready', async t => {
  let now = 1_000_000
  const lines: Array<{ obj: object, msg: string }> = []
  const background = new Background({ log: { warn: (obj, msg) => { lines.push({ obj, msg }) } }, staleAfterMs: 30_000, now: () => now })
  const err = new StoreUnavailableError('the database is unavailable')
  background.refreshFailed('t1', err)
  t.same(background.counters(), { failures: { refresh: 1, poll: 0, feed: 0 }, staleTenants: 1 })
  t.match(lines, [{ obj: { err, tenant: 't1' }, msg: /refresh failed/ }], 'logged with the error and the tenant')
  t.same(background.problems(), [], 'not yet past the bound')
  now += 20_000
  background.refreshFailed('t1', err)
  now += 10_001
  t.match(background.problems(), [/^1 tenant state has failed to refresh for more than 30000 ms \(the oldest since .*: the database is unavailable\)$/], 'counted from the first failure')
  t.notOk(background.problems().join().includes('t1'), 'the public answer names no tenant')
  background.refreshed('t1')
  t.same(background.problems(), [], 'a success clears it')
  t.equal(background.counters().failures.refresh, 2, 'the counter keeps counting')
  background.pollFailed(new Error('secret sql in here'))
  now += 30_001
  t.same(background.problems(), ['the revision poll has failed since ' + new Date(now - 30_001).toISOString() + ': unexpected error (see the log)'], 'a non-store error is described only in the log')
  background.polled()
  t.same(background.problems(), [])
  background.feedFailed(new Error('connection reset'))
  t.equal(background.counters().failures.feed, 1)
})

await eachBackend(t, async (t, backend) => {
  await t.test('a failing background refresh is logged, counted and makes the services not ready past the bound; a success clears it', async t => {
    const writer = createServices({ store: backend.store, rootKey: undefined })
    const flaky = flakyStore(backend.store)
    const warnings: string[] = []
    const replica = createServices({ store: flaky.store, rootKey: undefined, staleAfterMs: 50, logger: { warn: (_obj, msg) => { warnings.push(msg) } } })
    const tenant = fresh()
    await writer.admin.putTenant(tenant, {})
    await writer.admin.putPolicy(tenant, exampleBundle)
    await replica.states.get(tenant)

    for (const m of REFRESH_READS) flaky.failing.add(m)
    const { revision } = await writer.admin.putSubject(tenant, 'marie', { roles: ['employee'] })
    replica.propagation.changed(tenant, revision)
    await until(() => replica.background.counters().failures.refresh === 1, 'the refresh to fail')
    t.same(replica.background.counters(), { failures: { refresh: 1, poll: 0, feed: 0 }, staleTenants: 1 })
    t.match(warnings, [/tenant state refresh failed/], 'logged')
    t.equal(replica.states.revisionOf(tenant), revision - 1, 'the state keeps answering as it was')

    await new Promise(resolve => setTimeout(resolve, 60))
    t.match(replica.background.problems(), [/^1 tenant state has failed to refresh/], 'stale past the bound')

    flaky.failing.clear()
    await replica.states.refresh(tenant)
    t.equal(replica.states.revisionOf(tenant), revision)
    t.same(replica.background.problems(), [], 'a refresh that succeeds clears it')
    t.equal(replica.background.counters().staleTenants, 0)
  })

  await t.test('a failing revision poll is logged, counted and reported past the bound; a poll that succeeds clears it', async t => {
    const flaky = flakyStore(backend.store)
    const warnings: string[] = []
    const services = createServices({ store: flaky.store, rootKey: undefined, staleAfterMs: 50, pollMs: 0, logger: { warn: (_obj, msg) => { warnings.push(msg) } } })
    const tenant = fresh()
    await services.admin.putTenant(tenant, {})
    await services.states.get(tenant)
    flaky.failing.add('getRevisions')
    await t.rejects(services.propagation.checkAll(), StoreUnavailableError)
    t.equal(services.background.counters().failures.poll, 1)
    t.match(warnings, [/revision poll failed/])
    await new Promise(resolve => setTimeout(resolve, 60))
    t.match(services.background.problems(), [/^the revision poll has failed since/])
    flaky.failing.clear()
    await services.propagation.checkAll()
    t.same(services.background.problems(), [])
  })

  await t.test('a stale tenant state that is dropped (invalidated) is no longer reported', async t => {
    const flaky = flakyStore(backend.store)
    const services = createServices({ store: flaky.store, rootKey: undefined, staleAfterMs: 10 })
    const tenant = fresh()
    await services.admin.putTenant(tenant, {})
    await services.states.get(tenant)
    flaky.failing.add('getRevisions')
    services.states.refreshInBackground(tenant)
    await until(() => services.background.counters().staleTenants === 1, 'the refresh to fail')
    services.states.invalidate(tenant)
    t.equal(services.background.counters().staleTenants, 0, 'nothing stale is served any more')
  })
})
