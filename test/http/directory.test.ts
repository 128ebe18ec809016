/** Subjects listed with filters and pages, overrides as their own resource, groups with members (issue 4). */
import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { evaluation, exampleBundle, exampleSubjects } from './fixtures.js'

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const subjects = { ...exampleSubjects, fred: { roles: [], projects: { 'site-12': ['manager'] }, groups: ['crew-b'] } }
  const setup = async (test: typeof t) => await setupTenant(test, app, rootKey, { bundle: exampleBundle, subjects, resources: { 'jobs/job-1': { assignee: 'marie' } } })

  await t.test('subjects are listed by id, filtered by role, group or project, and paged', async t => {
    const { tenant, adminKey } = await setup(t)
    const ids = async (query: string): Promise<string[]> => {
      const res = await call(app, 'GET', `/v1/tenants/${tenant}/subjects${query}`, { key: adminKey })
      t.equal(res.statusCode, 200, query)
      return (res.json().subjects as Array<{ id: string }>).map(s => s.id)
    }
    t.same(await ids(''), ['ada', 'fred', 'marie', 'olga', 'paul'])
    t.same(await ids('?role=employee'), ['marie', 'olga'])
    t.same(await ids('?role=manager'), ['fred', 'paul'], 'a project role counts')
    t.same(await ids('?group=crew-a'), ['marie'])
    t.same(await ids('?project=site-12'), ['fred'])
    t.same(await ids('?role=manager&project=site-12'), ['fred'], 'filters combine')
    t.same(await ids('?role=nobody'), [])

    const seen: string[] = []
    let after = ''
    for (let pages = 0; pages < 10; pages++) {
      const res = await call(app, 'GET', `/v1/tenants/${tenant}/subjects?limit=2${after === '' ? '' : `&after=${after}`}`, { key: adminKey })
      seen.push(...(res.json().subjects as Array<{ id: string }>).map(s => s.id))
      after = res.json().next
      if (after === '') break
    }
    t.same(seen, ['ada', 'fred', 'marie', 'olga', 'paul'], 'pages of 2 hold every subject once, in order')
    for (const bad of ['limit=0', 'limit=1001', 'limit=ten', 'colour=red']) {
      const res = await call(app, 'GET', `/v1/tenants/${tenant}/subjects?${bad}`, { key: adminKey })
      t.equal(res.statusCode, 400, `${bad}: 400`)
      t.equal(res.json().details[0].in, 'querystring', `${bad}: names the query`)
    }
  })

  await t.test('the matrix shows an action granted under a condition with its condition, in JSON and CSV', async t => {
    const { tenant, adminKey } = await setup(t)
    const put = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/marie/overrides`, { key: adminKey, body: { modules: { jobs: { allow: ['edit'], when: { edit: "context.channel == 'web'" } } } } })
    t.equal(put.statusCode, 200, put.body)
    const bad = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/marie/overrides`, { key: adminKey, body: { modules: { jobs: { allow: ['edit'], when: { edit: 'resource.nope == 1' } } } } })
    t.equal(bad.statusCode, 400, 'a condition the policy cannot check is refused')
    t.match(bad.json(), { details: [{ path: '/modules/jobs/when/edit' }] })
    const matrix = (await call(app, 'GET', `/v1/tenants/${tenant}/subjects/marie/permissions`, { key: adminKey })).json()
    t.same(matrix.cells.find((c: { module: string, action: string }) => c.module === 'jobs' && c.action === 'edit'),
      { module: 'jobs', action: 'edit', scope: ['assignee', 'responsible'], when: "context.channel == 'web'", sources: ['custom'] }, 'the condition survives the response schema; no fields')
    const csv = (await call(app, 'GET', `/v1/tenants/${tenant}/subjects/marie/permissions?format=csv`, { key: adminKey })).body
    t.ok(csv.split('\r\n').includes("marie,,jobs,edit,assignee responsible,context.channel == 'web',custom,,"), 'the CSV row carries it')
  })

  await t.test('overrides: read, replaced (seen by the next decision), checked, removed', async t => {
    const { tenant, adminKey, checkKey } = await setup(t)
    const url = `/v1/tenants/${tenant}/subjects/marie/overrides`
    const edit = async () => (await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body: evaluation('marie', 'edit', 'jobs', 'job-1') })).json()
    t.same((await call(app, 'GET', url, { key: adminKey })).json(), {})
    t.equal((await edit()).decision, false, 'an employee may not edit')

    const put = await call(app, 'PUT', url, { key: adminKey, body: { modules: { jobs: { allow: ['edit'] } } } })
    t.equal(put.statusCode, 200)
    t.same(put.json(), { modules: { jobs: { allow: ['edit'] } } })
    t.equal((await edit()).context.reason.code, 'override_grant', 'the next decision applies the override')
    const stored = (await call(app, 'GET', `/v1/tenants/${tenant}/subjects/marie`, { key: adminKey })).json()
    t.same(stored.roles, ['employee'], 'the rest of the subject is kept')
    t.same(stored.aliases, ['marie@example.com'])

    const before = await revisionOf(app, rootKey, tenant)
    const bad = await call(app, 'PUT', url, { key: adminKey, body: { modules: { jobs: { allow: ['fly'] } } } })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { details: [{ path: '/modules/jobs/allow/0' }] }, 'the unknown action is named, relative to the body')
    const stale = await call(app, 'PUT', url, { key: adminKey, body: {}, headers: { 'if-match': `"${before - 1}"` } })
    t.equal(stale.statusCode, 412)
    t.equal(await revisionOf(app, rootKey, tenant), before, 'nothing written')

    t.equal((await call(app, 'DELETE', url, { key: adminKey })).statusCode, 204)
    t.same((await call(app, 'GET', url, { key: adminKey })).json(), {})
    t.equal((await edit()).decision, false, 'back to the role alone')
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/subjects/ghost/overrides`, { key: adminKey })).statusCode, 404)
    t.equal((await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/ghost/overrides`, { key: adminKey, body: {} })).statusCode, 404)
  })

  await t.test('groups list their members and cannot be deleted while they have any', async t => {
    const { tenant, adminKey } = await setup(t)
    const created = await call(app, 'PUT', `/v1/tenants/${tenant}/groups/crew-a`, { key: adminKey, body: { description: 'north crew' } })
    t.equal(created.statusCode, 201)
    t.same(created.json(), { id: 'crew-a', description: 'north crew', members: ['marie'] })
    await call(app, 'PUT', `/v1/tenants/${tenant}/groups/crew-z`, { key: adminKey, body: {} })
    t.same((await call(app, 'GET', `/v1/tenants/${tenant}/groups`, { key: adminKey })).json().groups.map((g: { id: string }) => g.id), ['crew-a', 'crew-z'])

    const before = await revisionOf(app, rootKey, tenant)
    const refused = await call(app, 'DELETE', `/v1/tenants/${tenant}/groups/crew-a`, { key: adminKey })
    t.equal(refused.statusCode, 409)
    t.match(refused.json(), { code: 'conflict', details: [{ path: '/subjects/marie/groups' }] })
    t.equal(await revisionOf(app, rootKey, tenant), before, 'nothing written')
    t.equal((await call(app, 'DELETE', `/v1/tenants/${tenant}/groups/crew-z`, { key: adminKey })).statusCode, 204, 'an empty group goes')
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/groups/crew-z`, { key: adminKey })).statusCode, 404)
    const bad = await call(app, 'PUT', `/v1/tenants/${tenant}/groups/crew-q`, { key: adminKey, body: { description: 7 } })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { details: [{ path: '/description' }] })
  })

  await t.test('permissions: the matrix as JSON and CSV, each cell with its scope, fields and sources', async t => {
    const { tenant, adminKey, checkKey } = await setup(t)
    await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/marie/overrides`, { key: adminKey, body: { modules: { jobs: { allow: ['edit'] } } } })
    const res = await call(app, 'GET', `/v1/tenants/${tenant}/subjects/marie/permissions`, { key: adminKey })
    t.equal(res.statusCode, 200)
    t.equal(res.headers.etag, `"${await revisionOf(app, rootKey, tenant)}"`)
    const matrix = res.json()
    const cell = (module: string, action: string) => matrix.cells.find((c: { module: string, action: string }) => c.module === module && c.action === action)
    t.same(cell('jobs', 'view'), { module: 'jobs', action: 'view', scope: ['assignee', 'responsible'], sources: ['employee'], fields: { visible: ['client_name'], editable: [] } })
    t.match(cell('jobs', 'edit'), { scope: ['assignee', 'responsible'], sources: ['custom'] }, 'the override is marked custom')
    t.match(cell('jobs', 'delete'), { scope: 'none', sources: [] })
    t.match(cell('documents', 'view'), { scope: 'all', sources: ['employee'] })
    // The matrix says what decisions say: edit on marie's job is allowed, by the override.
    const decision = await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body: evaluation('marie', 'edit', 'jobs', 'job-1') })
    t.equal(decision.json().decision, true)

    const fred = (await call(app, 'GET', `/v1/tenants/${tenant}/subjects/fred/permissions`, { key: adminKey })).json()
    t.same(fred.cells.filter((c: { scope: unknown }) => c.scope !== 'none'), [], 'no tenant-wide role: nothing outside his project')
    t.match(fred.projects['site-12'].cells.find((c: { action: string, module: string }) => c.module === 'jobs' && c.action === 'view'), { scope: 'all', sources: ['site-12:manager'] })
    t.same(fred.projects['site-12'].flags, ['manage_prices'])

    const csv = await call(app, 'GET', `/v1/tenants/${tenant}/subjects/marie/permissions?format=csv`, { key: adminKey })
    t.equal(csv.statusCode, 200)
    t.match(csv.headers['content-type'], /^text\/csv/)
    const lines = csv.body.trimEnd().split('\r\n')
    t.equal(lines[0], 'subject,project,module,action,scope,when,sources,visible_fields,editable_fields')
    t.ok(lines.includes('marie,,jobs,view,assignee responsible,,employee,client_name,'), 'one row per cell')
    t.equal(lines.length, 1 + matrix.cells.length, 'a row per cell, after the header')
    const accept = await call(app, 'GET', `/v1/tenants/${tenant}/subjects/marie/permissions`, { key: adminKey, headers: { accept: 'text/csv' } })
    t.equal(accept.body, csv.body, 'Accept: text/csv gives the same')

    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/subjects/ghost/permissions`, { key: adminKey })).statusCode, 404)
    const bad = await call(app, 'GET', `/v1/tenants/${tenant}/subjects/marie/permissions?format=xls`, { key: adminKey })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { details: [{ path: '/format', in: 'querystring' }] })
  })
})
