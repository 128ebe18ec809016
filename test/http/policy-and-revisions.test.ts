import t from 'tap'
import { parse } from 'yaml'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { evaluation, exampleBundle, exampleSubjects } from './fixtures.js'
import { ROUTES } from './routes.js'

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const fresh = async () => await setupTenant(t, app, rootKey, {
    bundle: exampleBundle, subjects: exampleSubjects, resources: { 'jobs/job-1': { assignee: 'marie' } }
  })

  await t.test('every successful response of a tenant route carries the revision as etag', async t => {
    const setup = await fresh()
    for (const route of ROUTES) {
      if (route.access === 'check') continue
      const key = route.access === 'root' ? rootKey : route.access === 'audit' ? setup.fullKey : setup.adminKey
      const res = await call(app, route.method, route.url(setup.tenant), { key, body: route.body })
      t.ok(res.statusCode < 300, `${route.name} succeeds`, { body: res.body })
      const revision = await revisionOf(app, rootKey, setup.tenant)
      t.equal(res.headers.etag, `"${revision}"`, `${route.name} carries etag "${revision}"`)
    }
  })

  await t.test('every write bumps the revision by one', async t => {
    const setup = await fresh()
    let revision = await revisionOf(app, rootKey, setup.tenant)
    for (const route of ROUTES) {
      if (!route.write) continue
      const key = route.access === 'root' ? rootKey : setup.adminKey
      const res = await call(app, route.method, route.url(setup.tenant), { key, body: route.body })
      t.equal(res.headers.etag, `"${revision + 1}"`, `${route.name} bumps the revision`)
      revision += 1
    }
  })

  await t.test('a write with a stale if-match answers 412 and writes nothing; with the current one it succeeds', async t => {
    for (const route of ROUTES) {
      if (!route.write) continue
      const setup = await fresh()
      const key = route.access === 'root' ? rootKey : setup.adminKey
      const current = await revisionOf(app, rootKey, setup.tenant)
      const before = await call(app, 'GET', `/v1/tenants/${setup.tenant}/subjects/marie`, { key: setup.adminKey })
      const stale = await call(app, route.method, route.url(setup.tenant), { key, body: route.body, headers: { 'if-match': `"${current - 1}"` } })
      t.equal(stale.statusCode, 412, `${route.name} with a stale if-match`, { body: stale.body })
      t.equal(stale.json().code, 'revision_mismatch')
      t.equal(await revisionOf(app, rootKey, setup.tenant), current, 'nothing was written')
      const after = await call(app, 'GET', `/v1/tenants/${setup.tenant}/subjects/marie`, { key: setup.adminKey })
      t.equal(after.body, before.body, 'the data is as it was')
      const ok = await call(app, route.method, route.url(setup.tenant), { key, body: route.body, headers: { 'if-match': `W/"${current}"` } })
      t.ok(ok.statusCode < 300, `${route.name} with the current if-match succeeds`, { body: ok.body })
    }
  })

  await t.test('if-match "0" on a tenant creates it only when absent', async t => {
    const setup = await fresh()
    const again = await call(app, 'PUT', `/v1/tenants/${setup.tenant}`, { key: rootKey, body: {}, headers: { 'if-match': '"0"' } })
    t.equal(again.statusCode, 412)
    t.equal(again.headers.etag, `"${await revisionOf(app, rootKey, setup.tenant)}"`, 'the 412 says the current revision')
    const created = await call(app, 'PUT', `/v1/tenants/${setup.tenant}-x`, { key: rootKey, body: {}, headers: { 'if-match': '"0"' } })
    t.equal(created.statusCode, 201)
  })

  await t.test('a bundle with an error anywhere is refused pointing at the element, and the previous policy keeps answering', async t => {
    const setup = await fresh()
    const body = evaluation('marie', 'view', 'jobs', 'job-1')
    const before = await call(app, 'POST', '/access/v1/evaluation', { key: setup.checkKey, body })
    t.equal(before.json().decision, true)
    const revision = await revisionOf(app, rootKey, setup.tenant)

    const broken = structuredClone(exampleBundle) as Record<string, any>
    broken.roles.employee.modules.jobs = { access: 'assigned', level: 'limitted' }
    broken.modules.jobs.actions.delete.flags = ['delete_entity']
    const res = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/policy`, { key: setup.adminKey, body: broken })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'policy_invalid')
    const paths = (res.json().details as Array<{ path: string, code: string, message: string }>).map(d => d.path)
    t.ok(paths.includes('/roles/employee/modules/jobs/level'), 'points at the bad level', { paths })
    t.ok(paths.includes('/modules/jobs/actions/delete/flags/0'), 'points at the unknown flag', { paths })
    t.match(res.json().details[0], { path: String, code: String, message: String })
    for (const detail of res.json().details as Array<{ message: string }>) {
      t.ok((res.json().message as string).includes(detail.message), 'the message names every problem, not only the first', { detail })
    }

    t.equal(await revisionOf(app, rootKey, setup.tenant), revision, 'nothing was written')
    const after = await call(app, 'POST', '/access/v1/evaluation', { key: setup.checkKey, body })
    t.equal(after.json().decision, true, 'the previous policy still answers')
    t.equal(after.json().context.revision, revision)
  })

  await t.test('a new policy answers the next decision; export gives json by default and yaml on request', async t => {
    const setup = await fresh()
    const stricter = structuredClone(exampleBundle) as Record<string, any>
    stricter.roles.employee.modules.jobs = { access: 'assigned', level: 'limited', deny: ['view'] }
    const put = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/policy`, { key: setup.adminKey, body: stricter })
    t.equal(put.statusCode, 200)
    const res = await call(app, 'POST', '/access/v1/evaluation', { key: setup.checkKey, body: evaluation('marie', 'view', 'jobs', 'job-1') })
    t.equal(res.json().decision, false, 'the new policy applies at once')
    t.equal(res.json().context.revision, put.json().revision)

    const json = await call(app, 'GET', `/v1/tenants/${setup.tenant}/policy`, { key: setup.adminKey })
    t.equal(json.statusCode, 200)
    t.match(json.headers['content-type'], /^application\/json/)
    t.equal(json.headers.etag, `"${put.json().revision as number}"`)
    t.same(json.json().roles.employee.modules.jobs.deny, ['view'])

    const yaml = await call(app, 'GET', `/v1/tenants/${setup.tenant}/policy`, { key: setup.adminKey, headers: { accept: 'application/yaml' } })
    t.match(yaml.headers['content-type'], /^application\/yaml/)
    t.same(parse(yaml.body), json.json(), 'the yaml export is the same bundle')

    const back = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/policy`, { key: setup.adminKey, body: yaml.body, headers: { 'content-type': 'application/yaml' } })
    t.equal(back.statusCode, 200, 'the yaml export imports again')
  })

  await t.test('a tenant without a policy has none to export', async t => {
    const bare = await setupTenant(t, app, rootKey)
    const res = await call(app, 'GET', `/v1/tenants/${bare.tenant}/policy`, { key: bare.adminKey })
    t.equal(res.statusCode, 404)
    t.equal(res.json().code, 'no_policy')
  })

  await t.test('a key is shown once and works at once; only its hash is stored', async t => {
    const setup = await fresh()
    const twice = await call(app, 'POST', `/v1/tenants/${setup.tenant}/keys`, { key: rootKey, body: { scopes: ['check', 'check'] } })
    t.equal(twice.statusCode, 400, 'a scope named twice is refused')
    t.match(twice.json(), { code: 'validation_failed', details: [{ path: '/scopes' }] })
    const res = await call(app, 'POST', `/v1/tenants/${setup.tenant}/keys`, { key: rootKey, body: { scopes: ['check'] } })
    t.equal(res.statusCode, 201)
    const key = res.json()
    t.match(key, { id: /^[0-9a-f]{24}$/, tenant: setup.tenant, scopes: ['check'], secret: /^gh_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/ })
    t.ok(key.secret.startsWith(`gh_${key.id as string}_`))
    const stored = await backend.store.getKey(key.id)
    t.ok(stored)
    t.notMatch(stored?.secretHash ?? '', key.secret.slice(28), 'the secret is not stored')
    t.match(stored?.secretHash, /^sha256:[0-9a-f]{64}$/)
    const check = await call(app, 'POST', '/access/v1/evaluation', { key: key.secret, body: evaluation('marie', 'view', 'jobs', 'job-1') })
    t.equal(check.statusCode, 200)
    const bare = await app.inject({ method: 'POST', url: '/access/v1/evaluation', headers: { authorization: key.secret }, payload: evaluation('marie', 'view', 'jobs', 'job-1') })
    t.equal(bare.statusCode, 200, 'a key without the Bearer scheme is accepted (interop harnesses send it so)')
  })
})
