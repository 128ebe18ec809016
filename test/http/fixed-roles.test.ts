/**
 * Fixed roles (seed 003: "Les sous-traitants et les observateurs disposent d'autorisations
 * fixes"): the role routes refuse to write or delete a fixed role, and the module and flag
 * routes refuse an edit that changes what a fixed role grants, with 409 `role_fixed`
 * naming the role and writing nothing; a whole-bundle import by an `admin` key changes it.
 */
import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { exampleBundle } from './fixtures.js'

const observer = { fixed: true, modules: { jobs: { access: 'all', level: 'limited' }, documents: { access: 'all', level: 'limited' } } }
const bundle = { ...exampleBundle, roles: { ...exampleBundle.roles, observer } }
const jobs = exampleBundle.modules.jobs

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)

  await t.test('edits that would change a fixed role are 409 role_fixed naming it; nothing is written', async t => {
    const { tenant, adminKey } = await setupTenant(t, app, rootKey, { bundle })
    const cases: Array<[string, 'PUT' | 'DELETE', string, Record<string, unknown> | undefined, string]> = [
      ['replacing a fixed role', 'PUT', 'roles/observer', { modules: { jobs: { access: 'all', level: 'full' } } }, 'role `observer` is fixed'],
      ['rewriting a fixed role as it is, but unmarked', 'PUT', 'roles/observer', { modules: observer.modules }, 'role `observer` is fixed'],
      ['deleting a fixed role', 'DELETE', 'roles/observer', undefined, 'role `observer` is fixed'],
      ['creating a role marked fixed', 'PUT', 'roles/auditor', { fixed: true, modules: { jobs: { access: 'all', level: 'limited' } } }, 'role `auditor` is fixed'],
      ['marking a role fixed', 'PUT', 'roles/manager', { ...exampleBundle.roles.manager, fixed: true }, 'role `manager` is fixed'],
      ['deleting a module a fixed role is granted, with cascade', 'DELETE', 'modules/documents?cascade=true', undefined, 'would change its definition'],
      ['deleting a module a fixed role is granted', 'DELETE', 'modules/documents', undefined, 'uses module `documents`'],
      ['adding an action within a fixed role\'s level', 'PUT', 'modules/jobs', { ...jobs, actions: { ...jobs.actions, archive: { level: 'limited' } } }, 'its permission `archive` on `jobs` (gained)'],
      ['raising the level of an action a fixed role has', 'PUT', 'modules/jobs', { ...jobs, actions: { ...jobs.actions, note: { level: 'management' } } }, 'its permission `note` on `jobs` (lost)'],
      ['showing a field to a fixed role', 'PUT', 'modules/jobs', { ...jobs, fields: { client_name: {}, price: {} } }, 'its field `price` of `jobs` from `hidden` to `read`'],
      ['deleting a flag that hides a field from a fixed role, with cascade', 'DELETE', 'flags/manage_prices?cascade=true', undefined, 'its field `price` of `jobs`']
    ]
    for (const [name, method, path, body, says] of cases) {
      const before = await revisionOf(app, rootKey, tenant)
      const res = await call(app, method, `/v1/tenants/${tenant}/${path}`, { key: adminKey, body })
      t.equal(res.statusCode, 409, `${name}: 409`, { body: res.body })
      const error = res.json()
      t.equal(error.code, 'role_fixed', `${name}: role_fixed`)
      t.match(error.message, says, `${name}: says why`)
      t.equal(error.details?.[0]?.code, 'role_fixed')
      t.match(error.details?.[0]?.path, /^\/roles\/(observer|auditor|manager)$/, `${name}: names the role`)
      t.equal(await revisionOf(app, rootKey, tenant), before, `${name}: nothing written`)
    }
    const stored = (await call(app, 'GET', `/v1/tenants/${tenant}/roles/observer`, { key: adminKey })).json()
    t.same(stored, observer, 'the fixed role is as imported')
  })

  await t.test('edits that leave every fixed role granting what it did are allowed', async t => {
    const { tenant, adminKey } = await setupTenant(t, app, rootKey, { bundle })
    const cases: Array<[string, 'PUT' | 'DELETE', string, Record<string, unknown> | undefined, number]> = [
      ['another role', 'PUT', 'roles/employee', { modules: { jobs: { access: 'all', level: 'limited' } } }, 200],
      ['a new role', 'PUT', 'roles/dispatcher', { modules: { jobs: { access: 'all', level: 'management' } } }, 201],
      ['a module description', 'PUT', 'modules/jobs', { ...jobs, description: 'work at clients' }, 200],
      ['an action above the fixed role\'s level', 'PUT', 'modules/jobs', { ...jobs, description: 'work at clients', actions: { ...jobs.actions, archive: { level: 'full' } } }, 200],
      ['a module the fixed role has no grant on', 'PUT', 'modules/assets', { actions: { view: { level: 'limited' } } }, 201],
      ['deleting it again', 'DELETE', 'modules/assets', undefined, 204],
      ['a flag description', 'PUT', 'flags/manage_prices', { description: 'Prices' }, 200]
    ]
    for (const [name, method, path, body, status] of cases) {
      const res = await call(app, method, `/v1/tenants/${tenant}/${path}`, { key: adminKey, body })
      t.equal(res.statusCode, status, name, { body: res.body })
    }
  })

  await t.test('only a whole-bundle import changes a fixed role, and only with an admin key', async t => {
    const { tenant, adminKey, checkKey } = await setupTenant(t, app, rootKey, { bundle })
    const changed = { ...bundle, roles: { ...bundle.roles, observer: { ...observer, modules: { jobs: { access: 'all', level: 'management' } } } } }
    const refused = await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, { key: checkKey, body: changed })
    t.equal(refused.statusCode, 403, 'a key without admin may not import')
    const imported = await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, { key: adminKey, body: changed })
    t.equal(imported.statusCode, 200, { body: imported.body })
    const stored = (await call(app, 'GET', `/v1/tenants/${tenant}/roles/observer`, { key: adminKey })).json()
    t.same(stored, { fixed: true, modules: { jobs: { access: 'all', level: 'management' } } }, 'the import changed the fixed role')
  })
})
