/**
 * Modules, flags and roles as admin resources (issue 4): each write is a bundle edit
 * (the export reflects it, the next decision sees it), bad input is a 400 naming the
 * path in the body, removing something still used is a 409 naming every user, a stale
 * If-Match writes nothing, and parallel editors of one role never lose an update.
 */
import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { evaluation, exampleBundle, exampleSubjects } from './fixtures.js'

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const fresh = async (test: typeof t) => await setupTenant(test, app, rootKey, { bundle: exampleBundle, subjects: exampleSubjects })
  const exported = async (tenant: string, key: string): Promise<any> => (await call(app, 'GET', `/v1/tenants/${tenant}/policy`, { key })).json()

  await t.test('a role is created, read, listed and replaced; the export and the next decision reflect it', async t => {
    const { tenant, adminKey, checkKey } = await fresh(t)
    const dispatcher = { description: 'plans the day', modules: { jobs: { access: 'all', level: 'management' } } }
    const created = await call(app, 'PUT', `/v1/tenants/${tenant}/roles/dispatcher`, { key: adminKey, body: dispatcher })
    t.equal(created.statusCode, 201)
    t.same(created.json(), dispatcher)
    t.equal(created.headers.etag, `"${await revisionOf(app, rootKey, tenant)}"`)
    t.same((await call(app, 'GET', `/v1/tenants/${tenant}/roles/dispatcher`, { key: adminKey })).json(), dispatcher)
    t.same(Object.keys((await call(app, 'GET', `/v1/tenants/${tenant}/roles`, { key: adminKey })).json().roles), ['employee', 'manager', 'admin', 'dispatcher'])
    t.same((await exported(tenant, adminKey)).roles.dispatcher, { description: 'plans the day', modules: { jobs: { access: 'all', level: 'management' } } }, 'the export has the role')

    await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/dina`, { key: adminKey, body: { roles: ['dispatcher'] } })
    const edit = evaluation('dina', 'edit', 'jobs', 'job-7')
    t.equal((await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body: edit })).json().decision, true, 'the new role grants edit')
    const replaced = await call(app, 'PUT', `/v1/tenants/${tenant}/roles/dispatcher`, { key: adminKey, body: { modules: { jobs: { access: 'all', level: 'limited' } } } })
    t.equal(replaced.statusCode, 200, 'a replaced role answers 200')
    t.equal((await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body: edit })).json().decision, false, 'the next decision sees the change')
  })

  await t.test('modules and flags: create, read, list, replace; a flag body is its description', async t => {
    const { tenant, adminKey } = await fresh(t)
    const assets = { relations: ['owner'], actions: { view: { level: 'limited' }, retire: { level: 'full', flags: ['retire_assets'] } } }
    const flag = await call(app, 'PUT', `/v1/tenants/${tenant}/flags/retire_assets`, { key: adminKey, body: { description: 'Retire assets' } })
    t.equal(flag.statusCode, 201)
    t.same(flag.json(), { description: 'Retire assets' })
    const module = await call(app, 'PUT', `/v1/tenants/${tenant}/modules/assets`, { key: adminKey, body: assets })
    t.equal(module.statusCode, 201, 'a module using the new flag')
    t.same((await call(app, 'GET', `/v1/tenants/${tenant}/modules/assets`, { key: adminKey })).json(), assets)
    t.same((await call(app, 'GET', `/v1/tenants/${tenant}/flags`, { key: adminKey })).json().flags.retire_assets, { description: 'Retire assets' })
    const policy = await exported(tenant, adminKey)
    t.same(policy.flags.retire_assets, 'Retire assets')
    t.same(policy.modules.assets.actions.retire, { level: 'full', flags: ['retire_assets'] })
  })

  await t.test('bad input is a 400 naming the path inside the body, and writes nothing', async t => {
    const { tenant, adminKey } = await fresh(t)
    const cases: Array<[string, string, unknown, string, string]> = [
      ['an unknown action in allow', 'roles/dispatcher', { modules: { jobs: { access: 'all', allow: ['fly'] } } }, '/modules/jobs/allow/0', 'policy_invalid'],
      ['a misspelt key', 'roles/dispatcher', { modules: { jobs: { access: 'all', dney: ['view'] } } }, '/modules/jobs/dney', 'policy_invalid'],
      ['an unknown relation in a scope', 'roles/dispatcher', { modules: { jobs: { access: 'all', scope: { edit: ['watcher'] } } } }, '/modules/jobs/scope/edit/0', 'policy_invalid'],
      ['a bad level', 'modules/assets', { actions: { view: { level: 'limitd' } } }, '/actions/view/level', 'policy_invalid'],
      ['an unknown flag on an action', 'modules/assets', { actions: { view: { level: 'limited', flags: ['nope'] } } }, '/actions/view/flags/0', 'policy_invalid'],
      ['a flag without description', 'flags/x', {}, '/description', 'validation_failed'],
      ['a role that is not an object', 'roles/dispatcher', ['all'], '', 'validation_failed'],
      ['a bad name', 'roles/Bad%20Name', { all: true }, '/name', 'validation_failed']
    ]
    for (const [name, path, body, pointer, code] of cases) {
      const before = await revisionOf(app, rootKey, tenant)
      const res = await call(app, 'PUT', `/v1/tenants/${tenant}/${path}`, { key: adminKey, body: body as Record<string, unknown> })
      t.equal(res.statusCode, 400, `${name}: 400`)
      t.match(res.json(), { code, details: [{ path: pointer }] }, `${name}: names ${pointer === '' ? 'the body' : pointer}`)
      t.equal(await revisionOf(app, rootKey, tenant), before, `${name}: nothing written`)
    }
  })

  await t.test('removing what something still uses is a 409 naming every user; nothing is written', async t => {
    const { tenant, adminKey } = await fresh(t)
    const cases: Array<[string, string, string, unknown, string[]]> = [
      ['a role held by subjects', 'DELETE', 'roles/employee', undefined, ['/subjects/marie/roles/0', '/subjects/olga/roles/0']],
      ['a module granted by roles', 'DELETE', 'modules/documents', undefined, ['/roles/employee/modules/documents', '/roles/manager/modules/documents']],
      ['a flag required by an action', 'DELETE', 'flags/delete_entities', undefined, ['/modules/jobs/actions/delete/flags/0']],
      ['a relation used by a role scope', 'PUT', 'modules/jobs', { ...exampleBundle.modules.jobs, relations: ['assignee', 'creator'], assigned: ['assignee'] }, ['/roles/closer/modules/jobs/scope/edit/0']],
      ['an action used by an override', 'PUT', 'modules/documents', { relations: ['creator'], actions: { view: { level: 'limited' } } }, ['/subjects/zed/overrides/modules/documents/allow/0']]
    ]
    await call(app, 'PUT', `/v1/tenants/${tenant}/roles/closer`, { key: adminKey, body: { modules: { jobs: { access: 'all', level: 'full', scope: { edit: ['responsible'] } } } } })
    await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/zed`, { key: adminKey, body: { roles: ['manager'], overrides: { modules: { documents: { allow: ['edit'] } } } } })
    for (const [name, method, path, body, uses] of cases) {
      const before = await revisionOf(app, rootKey, tenant)
      const res = await call(app, method as 'PUT' | 'DELETE', `/v1/tenants/${tenant}/${path}`, { key: adminKey, body: body as Record<string, unknown> | undefined })
      t.equal(res.statusCode, 409, `${name}: 409`, { body: res.body })
      t.equal(res.json().code, 'conflict')
      const paths = (res.json().details as Array<{ path: string }>).map(d => d.path)
      for (const use of uses) t.ok(paths.includes(use), `${name}: names ${use}`, { paths })
      t.equal(await revisionOf(app, rootKey, tenant), before, `${name}: nothing written`)
    }
  })

  await t.test('cascade removes the policy\'s own references to a module or a flag, never subjects\'', async t => {
    const { tenant, adminKey } = await fresh(t)
    const module = await call(app, 'DELETE', `/v1/tenants/${tenant}/modules/documents?cascade=true`, { key: adminKey })
    t.equal(module.statusCode, 204)
    const policy = await exported(tenant, adminKey)
    t.notOk('documents' in policy.modules)
    t.same(Object.keys(policy.roles.employee.modules), ['jobs'], 'the grants on the module went with it')
    const flag = await call(app, 'DELETE', `/v1/tenants/${tenant}/flags/manage_prices?cascade=true`, { key: adminKey })
    t.equal(flag.statusCode, 204)
    const after = await exported(tenant, adminKey)
    t.notOk(after.flags?.manage_prices)
    t.same(after.modules.jobs.fields.price, {}, 'the field no longer requires it')
    t.notOk(after.roles.manager.flags?.includes('manage_prices'), 'the role no longer grants it')

    await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/kim`, { key: adminKey, body: { roles: ['employee'], overrides: { flags: { delete_entities: true } } } })
    const held = await call(app, 'DELETE', `/v1/tenants/${tenant}/flags/delete_entities?cascade=true`, { key: adminKey })
    t.equal(held.statusCode, 409, 'a subject override still names the flag')
    t.match(held.json().details, [{ path: '/subjects/kim/overrides/flags/delete_entities' }])
    const role = await call(app, 'DELETE', `/v1/tenants/${tenant}/roles/employee?cascade=true`, { key: adminKey })
    t.equal(role.statusCode, 400, 'roles have no cascade: subjects are never changed implicitly')
    t.match(role.json(), { details: [{ path: '/cascade' }] })
  })

  await t.test('unknown names are 404; a stale If-Match is a 412 that writes nothing', async t => {
    const { tenant, adminKey } = await fresh(t)
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/roles/ghost`, { key: adminKey })).statusCode, 404)
    t.equal((await call(app, 'DELETE', `/v1/tenants/${tenant}/modules/ghost`, { key: adminKey })).statusCode, 404)
    const revision = await revisionOf(app, rootKey, tenant)
    const stale = await call(app, 'PUT', `/v1/tenants/${tenant}/roles/dispatcher`, { key: adminKey, body: { all: true }, headers: { 'if-match': `"${revision - 1}"` } })
    t.equal(stale.statusCode, 412)
    t.equal(await revisionOf(app, rootKey, tenant), revision)
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/roles/dispatcher`, { key: adminKey })).statusCode, 404, 'not created')
    const current = await call(app, 'PUT', `/v1/tenants/${tenant}/roles/dispatcher`, { key: adminKey, body: { all: true }, headers: { 'if-match': `"${revision}"` } })
    t.equal(current.statusCode, 201, 'the current revision writes')
  })

  await t.test('parallel writers each change a different module of one role with If-Match retries: every change lands', async t => {
    const { tenant, adminKey } = await fresh(t)
    const writers = 8
    for (let i = 0; i < writers; i++) {
      const res = await call(app, 'PUT', `/v1/tenants/${tenant}/modules/m${i}`, { key: adminKey, body: { actions: { view: { level: 'limited' } } } })
      t.equal(res.statusCode, 201)
    }
    let conflicts = 0
    const writer = async (i: number): Promise<void> => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const read = await call(app, 'GET', `/v1/tenants/${tenant}/roles/employee`, { key: adminKey })
        const role = read.json()
        role.modules[`m${i}`] = { access: 'all', level: 'limited' }
        const res = await call(app, 'PUT', `/v1/tenants/${tenant}/roles/employee`, { key: adminKey, body: role, headers: { 'if-match': read.headers.etag as string } })
        if (res.statusCode === 200) return
        if (res.statusCode !== 412) throw new Error(`writer ${i}: ${res.statusCode} ${res.body}`)
        conflicts++
      }
      throw new Error(`writer ${i} never landed`)
    }
    const start = await revisionOf(app, rootKey, tenant)
    await Promise.all(Array.from({ length: writers }, (_, i) => writer(i)))
    const final = (await call(app, 'GET', `/v1/tenants/${tenant}/roles/employee`, { key: adminKey })).json()
    const trail = (await call(app, 'GET', `/v1/tenants/${tenant}/audit?entity_type=role&entity_id=employee`, { key: rootKey })).json().entries as Array<{ revision: number }>
    t.equal(trail.filter(e => e.revision > start).length, writers, 'the audit log has exactly one entry per successful write')
    t.equal(await revisionOf(app, rootKey, tenant), start + writers, 'and the refused ones wrote nothing')
    for (let i = 0; i < writers; i++) t.same(final.modules[`m${i}`], { access: 'all', level: 'limited' }, `writer ${i}'s change is there`)
    t.same(final.modules.jobs, exampleBundle.roles.employee.modules.jobs, 'the untouched grant is intact')
    t.comment(`${conflicts} stale writes were refused with 412 and retried`)
  })

  await t.test('parallel writers without If-Match are serialized by the service: none is lost', async t => {
    const { tenant, adminKey } = await fresh(t)
    const writers = 6
    await Promise.all(Array.from({ length: writers }, async (_, i) => {
      const res = await call(app, 'PUT', `/v1/tenants/${tenant}/roles/r${i}`, { key: adminKey, body: { modules: { jobs: { access: 'all', level: 'limited' } } } })
      t.equal(res.statusCode, 201, `role r${i} created`)
    }))
    const roles = Object.keys((await call(app, 'GET', `/v1/tenants/${tenant}/roles`, { key: adminKey })).json().roles)
    for (let i = 0; i < writers; i++) t.ok(roles.includes(`r${i}`), `r${i} is in the policy`)
  })
})
