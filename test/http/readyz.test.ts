/**
 * `/readyz` reports a failing background refresh (issue 13): a replica whose tenant state
 * cannot be refreshed keeps answering from it, but once that has lasted longer than
 * `staleAfterMs` it is not ready: 503 `unavailable` with `Retry-After` and a body saying
 * why (naming no tenant: the route is public), the failure logged; ready again once a
 * refresh succeeds.
 */
import { Writable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import { buildApp } from '../../src/http/app.js'
import { buildTestApp, call, eachBackend, setupTenant, testConfig } from '../helpers/build-app.js'
import { flakyStore, REFRESH_READS } from '../service/flaky-store.js'
import { exampleBundle } from './fixtures.js'

await eachBackend(t, async (t, backend) => {
  await t.test('a tenant state that keeps failing to refresh makes /readyz a 503 that says why, until a refresh succeeds', async t => {
    const lines: Array<Record<string, unknown>> = []
    const sink = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done() } })
    const flaky = flakyStore(backend.store)
    const config = testConfig({ staleAfterMs: 50, pollMs: 0 })
    const app = buildApp({ store: flaky.store, config, logger: pino({ level: 'warn' }, sink) })
    t.teardown(() => app.close())
    await app.ready()
    const { tenant, checkKey } = await setupTenant(t, app, config.rootKey, { bundle: exampleBundle })
    const ready = await call(app, 'GET', '/readyz')
    t.equal(ready.statusCode, 200)
    t.same(ready.json(), { status: 'ready' })
    t.equal((await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body: { subject: { type: 'user', id: 'nobody' }, action: { name: 'view' }, resource: { type: 'jobs', id: 'j' } } })).statusCode, 200, 'the tenant state is in memory')

    // Another replica writes (straight to the database); this one cannot read it.
    for (const m of REFRESH_READS) flaky.failing.add(m)
    const { revision } = await backend.store.putSubject(tenant, { id: 'late', roles: ['employee'] })
    app.services.propagation.changed(tenant, revision)
    const start = Date.now()
    while (app.services.background.counters().staleTenants === 0 && Date.now() - start < 5000) await new Promise(resolve => setTimeout(resolve, 5))
    t.equal(app.services.background.counters().failures.refresh > 0, true, 'the failure is counted')
    t.ok(lines.some(l => l.msg === 'tenant state refresh failed: it answers from its last state' && l.tenant === tenant && l.level === 40), 'and logged at warn with the tenant')
    await new Promise(resolve => setTimeout(resolve, 60))

    const stale = await call(app, 'GET', '/readyz')
    t.equal(stale.statusCode, 503, 'not ready past the bound')
    t.equal(stale.headers['retry-after'], '5')
    t.match(stale.json(), { code: 'unavailable', message: /failed to refresh for more than 50 ms/, details: [{ code: 'stale_state', message: /the database is unavailable/ }] })
    t.notOk(stale.body.includes(tenant), 'the public answer names no tenant')

    flaky.failing.clear()
    await app.services.states.refresh(tenant)
    t.equal((await call(app, 'GET', '/readyz')).statusCode, 200, 'ready again once a refresh succeeded')
  })

  await t.test('the store down: /readyz is a 503 with Retry-After that says so', async t => {
    const flaky = flakyStore(backend.store)
    const { app } = await buildTestApp(t, flaky.store)
    flaky.failing.add('ping')
    const res = await call(app, 'GET', '/readyz')
    t.equal(res.statusCode, 503)
    t.equal(res.headers['retry-after'], '5')
    t.match(res.json(), { code: 'unavailable', message: 'not ready: the database is unavailable' })
  })
})
