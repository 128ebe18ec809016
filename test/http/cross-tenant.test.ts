import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { evaluation, exampleBundle, exampleSubjects } from './fixtures.js'
import { ROUTES } from './routes.js'

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const data = { bundle: exampleBundle, subjects: exampleSubjects, resources: { 'jobs/job-1': { assignee: 'marie' } } }
  const a = await setupTenant(t, app, rootKey, data)
  const b = await setupTenant(t, app, rootKey, data)

  await t.test('a key of tenant A, whatever its scopes, gets 403 on every route of tenant B and writes nothing', async t => {
    for (const key of [a.fullKey, a.adminKey, a.checkKey]) {
      for (const route of ROUTES) {
        const before = await revisionOf(app, rootKey, b.tenant)
        const headers: Record<string, string> = route.access === 'check' ? { 'gatehouse-tenant': b.tenant } : {}
        const res = await call(app, route.method, route.url(b.tenant), { key, body: route.body, headers })
        t.equal(res.statusCode, 403, `${route.name} of B with a key of A`, { body: res.body })
        t.equal(res.json().code, 'forbidden')
        t.notMatch(res.body, /marie|employee|job-1/, 'nothing of B leaks into the body')
        t.equal(await revisionOf(app, rootKey, b.tenant), before, 'B is unchanged')
      }
    }
  })

  await t.test('a tenant key gets 403 on a tenant that does not exist, so tenants cannot be enumerated', async t => {
    for (const route of ROUTES) {
      if (route.access === 'check') continue
      const res = await call(app, route.method, route.url('nobody-here'), { key: a.fullKey, body: route.body })
      t.equal(res.statusCode, 403, `${route.name} of an unknown tenant`)
    }
    t.equal((await call(app, 'GET', '/v1/tenants/nobody-here', { key: rootKey })).statusCode, 404, 'nothing was created')
  })

  await t.test('a tenant key cannot create a tenant, nor keys, even its own', async t => {
    const created = await call(app, 'PUT', '/v1/tenants/brand-new', { key: a.fullKey, body: {} })
    t.equal(created.statusCode, 403)
    t.equal((await call(app, 'GET', '/v1/tenants/brand-new', { key: rootKey })).statusCode, 404)
    const keys = await call(app, 'POST', `/v1/tenants/${a.tenant}/keys`, { key: a.fullKey, body: { scopes: ['admin'] } })
    t.equal(keys.statusCode, 403)
  })

  await t.test('a check key decides on its own tenant without naming it, and on its own tenant only', async t => {
    const own = await call(app, 'POST', '/access/v1/evaluation', { key: a.checkKey, body: evaluation('marie', 'view', 'jobs', 'job-1') })
    t.equal(own.statusCode, 200)
    t.equal(own.json().decision, true)
    const named = await call(app, 'POST', '/access/v1/evaluation', { key: a.checkKey, body: evaluation('marie', 'view', 'jobs', 'job-1'), headers: { 'gatehouse-tenant': a.tenant } })
    t.equal(named.statusCode, 200, 'naming its own tenant is fine')
  })

  await t.test('writes to tenant A are not seen in tenant B', async t => {
    await call(app, 'PUT', `/v1/tenants/${a.tenant}/subjects/marie`, { key: a.adminKey, body: { roles: ['manager'] } })
    const inA = await call(app, 'POST', '/access/v1/evaluation', { key: a.checkKey, body: evaluation('marie', 'edit', 'jobs', 'job-1') })
    const inB = await call(app, 'POST', '/access/v1/evaluation', { key: b.checkKey, body: evaluation('marie', 'edit', 'jobs', 'job-1') })
    t.equal(inA.json().decision, true)
    t.equal(inB.json().decision, false, 'B\'s marie is still an employee')
    const rootInB = await call(app, 'POST', '/access/v1/evaluation', { key: rootKey, body: evaluation('marie', 'edit', 'jobs', 'job-1'), headers: { 'gatehouse-tenant': b.tenant } })
    t.equal(rootInB.json().decision, false, 'the root key decides in the tenant it names')
  })
})
