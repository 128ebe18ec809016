/**
 * Two replicas on one PostgreSQL database (issue 6): a write on A reaches B's decisions
 * through LISTEN/NOTIFY (B then reports a revision at least the write's), `min_revision`
 * makes B answer from a new enough state at once, and the revision poll catches a change
 * whose notification B never got. No timing is asserted: waits are bounded polls.
 */
import t, { type Test } from 'tap'
import { openStore } from '../../src/store/connect.js'
import { buildTestApp, call, setupTenant } from '../helpers/build-app.js'
import { createTestDatabase, postgresServer } from '../helpers/db.js'
import { startTcpProxy, throughProxy } from '../helpers/tcp-proxy.js'
import { evaluation, exampleBundle, exampleSubjects } from '../http/fixtures.js'
import { eventually } from '../helpers/eventually.js'

const server = await postgresServer()

/** A fresh database with replicas A and B on it (each its own store and app); B's poll period and URL as given. */
async function twoReplicas (t: Test, opts: { pollMs: number, urlOfB?: (url: string) => string, poolSizeOfB?: number }) {
  const database = await createTestDatabase(await server.url())
  t.teardown(() => database.drop())
  const storeA = await openStore({ databaseUrl: database.url, dataDir: 'unused' })
  const storeB = await openStore({ databaseUrl: opts.urlOfB?.(database.url) ?? database.url, dataDir: 'unused', poolSize: opts.poolSizeOfB })
  t.teardown(async () => { await storeA.close(); await storeB.close() })
  const a = await buildTestApp(t, storeA)
  const b = await buildTestApp(t, storeB, { rootKey: a.rootKey, pollMs: opts.pollMs })
  return { database, a, b }
}

t.test('two replicas converge', { skip: server.skip }, async t => {
  // Replica B polls rarely here, so that what reaches it first is the notification.
  const { a, b } = await twoReplicas(t, { pollMs: 60_000 })

  const { tenant, adminKey, checkKey } = await setupTenant(t, a.app, a.rootKey, { bundle: exampleBundle, subjects: exampleSubjects, resources: { 'jobs/job-1': { assignee: 'marie' } } })
  const body = evaluation('marie', 'edit', 'jobs', 'job-1')
  const onB = async (extra: Record<string, unknown> = {}) => (await call(b.app, 'POST', '/access/v1/evaluation', { key: checkKey, body: { ...body, ...extra } })).json()
  t.equal((await onB()).decision, false, 'B loaded the tenant: an employee may not edit')

  await t.test('a write on A changes B\'s decision once B reports its revision', async t => {
    const write = await call(a.app, 'PUT', `/v1/tenants/${tenant}/subjects/marie`, { key: adminKey, body: { roles: ['manager'] } })
    const revision = write.json().revision ?? Number(JSON.parse(write.headers.etag as string))
    t.ok(await eventually(async () => (await onB()).context.revision >= revision), 'B reaches the write\'s revision')
    const after = await onB()
    t.equal(after.decision, true, 'and decides with it')
  })

  await t.test('min_revision: B answers from a state at least that new, at once', async t => {
    const write = await call(a.app, 'PUT', `/v1/tenants/${tenant}/subjects/marie`, { key: adminKey, body: { roles: ['employee'] } })
    const revision = Number(JSON.parse(write.headers.etag as string))
    const answer = await onB({ context: { min_revision: revision } })
    t.ok(answer.context.revision >= revision, 'the answer is at the revision asked for')
    t.equal(answer.decision, false, 'the demotion applies')
    const ahead = await call(b.app, 'POST', '/access/v1/evaluation', { key: checkKey, body: { ...body, context: { min_revision: revision + 1000 } } })
    t.equal(ahead.statusCode, 400, 'a revision the database has not reached is refused')
    t.match(ahead.json(), { details: [{ path: '/context/min_revision', code: 'revision_ahead' }] })
  })

  await t.test('a policy change and a revoked key reach B too', async t => {
    const put = await call(a.app, 'PUT', `/v1/tenants/${tenant}/roles/employee`, { key: adminKey, body: { modules: { jobs: { access: 'all', level: 'full' } } } })
    t.equal(put.statusCode, 200)
    const revision = Number(JSON.parse(put.headers.etag as string))
    t.ok(await eventually(async () => (await onB()).context.revision >= revision))
    t.equal((await onB()).decision, true, 'the role edit applies on B')

    const keyId = checkKey.split('_')[1] as string
    await call(a.app, 'DELETE', `/v1/tenants/${tenant}/keys/${keyId}`, { key: adminKey })
    t.ok(await eventually(async () => (await call(b.app, 'POST', '/access/v1/evaluation', { key: checkKey, body })).statusCode === 401), 'B refuses the revoked key')
  })

  await t.test('readiness reports the change feed', async t => {
    const ready = await b.app.inject({ method: 'GET', url: '/readyz' })
    t.equal(ready.statusCode, 200)
    t.same(ready.json(), { status: 'ready' })
  })
})

t.test('the poll catches a change B was never told of', { skip: server.skip }, async t => {
  const { a, b } = await twoReplicas(t, { pollMs: 0 })
  // B hears nothing: no feed, no timer. What is left is one round of the poll, run by hand.
  await b.app.services.propagation.stop()

  const { tenant, adminKey, checkKey } = await setupTenant(t, a.app, a.rootKey, { bundle: exampleBundle, subjects: exampleSubjects, resources: { 'jobs/job-1': { assignee: 'marie' } } })
  const body = evaluation('marie', 'edit', 'jobs', 'job-1')
  const decideOnB = async () => (await call(b.app, 'POST', '/access/v1/evaluation', { key: checkKey, body })).json()
  t.equal((await decideOnB()).decision, false)
  const write = await call(a.app, 'PUT', `/v1/tenants/${tenant}/subjects/marie`, { key: adminKey, body: { roles: ['manager'] } })
  const revision = Number(JSON.parse(write.headers.etag as string))
  t.equal((await decideOnB()).decision, false, 'without notification, B still answers from its state')
  t.ok((await decideOnB()).context.revision < revision, 'and says which revision that is')
  await b.app.services.propagation.checkAll()
  t.ok(await eventually(async () => (await decideOnB()).decision === true), 'one poll round brings B up to date')
  t.ok((await decideOnB()).context.revision >= revision)
})

t.test('cut off from PostgreSQL, B answers from memory, says so, and catches up', { skip: server.skip }, async t => {
  const target = new URL(await server.url())
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port === '' ? 5432 : target.port) })
  t.teardown(() => proxy.close())
  // B reaches the database only through the proxy; its pool is small so the cut breaks every connection it holds.
  const { a, b } = await twoReplicas(t, { pollMs: 60_000, urlOfB: url => throughProxy(url, proxy), poolSizeOfB: 2 })

  const { tenant, adminKey, checkKey } = await setupTenant(t, a.app, a.rootKey, { bundle: exampleBundle, subjects: exampleSubjects, resources: { 'jobs/job-1': { assignee: 'marie' } } })
  const body = evaluation('marie', 'edit', 'jobs', 'job-1')
  const onB = async () => await call(b.app, 'POST', '/access/v1/evaluation', { key: checkKey, body })
  const readyB = async () => await b.app.inject({ method: 'GET', url: '/readyz' })
  t.equal((await onB()).json().decision, false, 'B has the tenant, the key and the subject in memory')
  t.equal((await readyB()).statusCode, 200)
  const before = (await onB()).json().context.revision as number

  proxy.cut()
  t.ok(await eventually(async () => (await readyB()).statusCode === 503), '/readyz says 503 while the database is unreachable')
  const down = await readyB()
  t.match(down.json(), { code: 'unavailable' }, 'with a JSON error')
  const during = await onB()
  t.equal(during.statusCode, 200, 'decisions keep coming')
  t.same([during.json().decision, during.json().context.revision], [false, before], 'from the last state B compiled')

  // A write B cannot hear of: its notification is sent while B's listener is down.
  const write = await call(a.app, 'PUT', `/v1/tenants/${tenant}/subjects/marie`, { key: adminKey, body: { roles: ['manager'] } })
  t.equal(write.statusCode, 200)
  const revision = Number(JSON.parse(write.headers.etag as string))

  proxy.restore()
  t.ok(await eventually(async () => (await readyB()).statusCode === 200, 15_000), '/readyz recovers once the listener reconnects')
  t.ok(await eventually(async () => (await onB()).json().context.revision >= revision, 15_000), 'B resynchronises and reaches the missed revision')
  t.equal((await onB()).json().decision, true, 'and decides with it')
})
