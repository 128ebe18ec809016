/**
 * A request without a precondition never gets 412 (issue 13). Roles, modules, flags and a
 * subject's overrides are edits of a stored document (the bundle, the subject); parallel
 * edits without `If-Match` used to race an optimistic write retried 8 times, and on
 * PostgreSQL 10 of 20 parallel role PUTs answered 412 `revision_mismatch`. They now run
 * under the tenant's row lock and queue: every one lands. Real concurrency needs several
 * connections, so the counts are asserted on PostgreSQL; PGlite (one connection) runs the
 * same requests as a check of the behaviour.
 */
import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { exampleBundle, exampleSubjects } from './fixtures.js'

const PARALLEL = 30

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const fresh = async (test: typeof t) => await setupTenant(test, app, rootKey, { bundle: exampleBundle, subjects: exampleSubjects })
  const statuses = (responses: Array<{ statusCode: number }>): Record<number, number> => {
    const counts: Record<number, number> = {}
    for (const r of responses) counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1
    return counts
  }

  for (const [part, body] of [
    ['roles', { modules: { jobs: { access: 'all', level: 'limited' } } }],
    ['modules', { relations: ['owner'], actions: { view: { level: 'limited' } } }],
    ['flags', { description: 'a flag' }]
  ] as const) {
    await t.test(`${PARALLEL} parallel PUTs of distinct ${part} without If-Match all land`, async t => {
      const { tenant, adminKey } = await fresh(t)
      const before = await revisionOf(app, rootKey, tenant)
      const responses = await Promise.all(Array.from({ length: PARALLEL }, async (_, i) =>
        await call(app, 'PUT', `/v1/tenants/${tenant}/${part}/n${i}`, { key: adminKey, body })))
      t.same(statuses(responses), { 201: PARALLEL }, 'every PUT created its definition: no 412, no 5xx')
      const listed = (await call(app, 'GET', `/v1/tenants/${tenant}/${part}`, { key: adminKey })).json()[part] as Record<string, unknown>
      for (let i = 0; i < PARALLEL; i++) t.ok(Object.hasOwn(listed, `n${i}`), `n${i} is there afterwards`)
      t.equal(await revisionOf(app, rootKey, tenant), before + PARALLEL, 'one revision each')
      const etags = new Set(responses.map(r => r.headers.etag))
      t.equal(etags.size, PARALLEL, 'each answered the revision of its own write')

      const removed = await Promise.all(Array.from({ length: PARALLEL }, async (_, i) =>
        await call(app, 'DELETE', `/v1/tenants/${tenant}/${part}/n${i}`, { key: adminKey })))
      t.same(statuses(removed), { 204: PARALLEL }, 'parallel DELETEs all land too')
    })
  }

  await t.test(`${PARALLEL} parallel PUTs of distinct subjects' overrides without If-Match all land`, async t => {
    const { tenant, adminKey } = await fresh(t)
    for (let i = 0; i < PARALLEL; i++) {
      const res = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/s${i}`, { key: adminKey, body: { roles: ['employee'] } })
      t.equal(res.statusCode, 201)
    }
    const overrides = { flags: { delete_entities: true } }
    const responses = await Promise.all(Array.from({ length: PARALLEL }, async (_, i) =>
      await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/s${i}/overrides`, { key: adminKey, body: overrides })))
    t.same(statuses(responses), { 200: PARALLEL }, 'no 412, no 5xx')
    for (let i = 0; i < PARALLEL; i++) {
      t.same((await call(app, 'GET', `/v1/tenants/${tenant}/subjects/s${i}/overrides`, { key: adminKey })).json(), overrides, `s${i} has its overrides`)
    }
    // One subject edited by all at once: they queue, the last one wins, none is refused.
    const same = await Promise.all(Array.from({ length: 10 }, async (_, i) =>
      await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/s0/overrides`, { key: adminKey, body: { flags: { delete_entities: i % 2 === 0 } } })))
    t.same(statuses(same), { 200: 10 }, 'parallel edits of one subject all answer 200')
  })

  await t.test('parallel edits of different parts mixed with subject writes: all land', async t => {
    const { tenant, adminKey } = await fresh(t)
    const responses = await Promise.all(Array.from({ length: PARALLEL }, async (_, i) => {
      if (i % 3 === 0) return await call(app, 'PUT', `/v1/tenants/${tenant}/roles/r${i}`, { key: adminKey, body: { all: true } })
      if (i % 3 === 1) return await call(app, 'PUT', `/v1/tenants/${tenant}/flags/f${i}`, { key: adminKey, body: { description: 'x' } })
      return await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/u${i}`, { key: adminKey, body: { roles: ['employee'] } })
    }))
    t.same(statuses(responses), { 201: PARALLEL })
    const policy = (await call(app, 'GET', `/v1/tenants/${tenant}/policy`, { key: adminKey })).json()
    for (let i = 0; i < PARALLEL; i += 3) t.ok(Object.hasOwn(policy.roles, `r${i}`), `role r${i} is in the policy`)
    for (let i = 1; i < PARALLEL; i += 3) t.ok(Object.hasOwn(policy.flags, `f${i}`), `flag f${i} is in the policy`)
  })

  await t.test('a stale If-Match is still a 412 that writes nothing, in parallel with writers that sent none', async t => {
    const { tenant, adminKey } = await fresh(t)
    const stale = await revisionOf(app, rootKey, tenant)
    await call(app, 'PUT', `/v1/tenants/${tenant}/roles/moved`, { key: adminKey, body: { all: true } })
    const responses = await Promise.all(Array.from({ length: 10 }, async (_, i) => i % 2 === 0
      ? await call(app, 'PUT', `/v1/tenants/${tenant}/roles/stale${i}`, { key: adminKey, body: { all: true }, headers: { 'if-match': `"${stale}"` } })
      : await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/marie/overrides`, { key: adminKey, body: { flags: { delete_entities: i % 4 === 1 } }, headers: { 'if-match': `"${stale}"` } })))
    t.same(statuses(responses), { 412: 10 }, 'every stale precondition fails')
    t.ok(responses.every(r => r.json().code === 'revision_mismatch'))
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/roles/stale0`, { key: adminKey })).statusCode, 404, 'nothing written')
    const current = await revisionOf(app, rootKey, tenant)
    t.equal(current, stale + 1)
    const fine = await call(app, 'PUT', `/v1/tenants/${tenant}/roles/fresh`, { key: adminKey, body: { all: true }, headers: { 'if-match': `"${current}"` } })
    t.equal(fine.statusCode, 201, 'the current revision writes')
  })

  await t.test('an edit of an unknown tenant is 404 tenant_not_found', async t => {
    const res = await call(app, 'PUT', '/v1/tenants/no-such-tenant-x/roles/r', { key: rootKey, body: { all: true } })
    t.equal(res.statusCode, 404)
    t.equal(res.json().code, 'tenant_not_found')
  })
})
