/**
 * Acting users and the owner (issue 4), from the attacker's side: a write naming an actor
 * (`Gatehouse-Actor`) is judged by the tenant's own policy; protected roles are changed
 * only by holders of one; the owner cannot be deleted, demoted or deactivated, and
 * ownership moves only by a transfer the owner makes. Every refusal is a 403 naming the
 * rule, and nothing changes.
 */
import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { evaluation, exampleBundle } from './fixtures.js'

const bundle = {
  ...exampleBundle,
  modules: {
    ...exampleBundle.modules,
    users: { actions: { view: { level: 'limited' }, edit: { level: 'management' }, create: { level: 'full' }, delete: { level: 'full' } } }
  },
  roles: {
    ...exampleBundle.roles,
    office: { description: 'manages users, not protected', modules: { users: { access: 'all', level: 'full' }, jobs: { access: 'all', level: 'limited' } } }
  }
}

const subjects = {
  olivia: { roles: ['admin'], owner: true },
  ada: { roles: ['admin'] },
  oscar: { roles: ['office'] },
  marie: { roles: ['employee'] },
  paul: { roles: ['manager'] }
}

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const setup = async (test: typeof t) => await setupTenant(test, app, rootKey, { bundle, subjects })

  await t.test('refused, with 403 naming the rule, and nothing written', async t => {
    const { tenant, adminKey } = await setup(t)
    const attacks: Array<[string, 'PUT' | 'DELETE', string, Record<string, unknown> | undefined, string, string]> = [
      ['a non-protected admin promotes itself to a protected role', 'PUT', 'oscar', { roles: ['office', 'admin'] }, 'oscar', 'protected_role'],
      ['a non-protected admin demotes a protected admin', 'PUT', 'ada', { roles: ['employee'] }, 'oscar', 'protected_role'],
      ['a non-protected admin deletes a protected admin', 'DELETE', 'ada', undefined, 'oscar', 'protected_role'],
      ['a non-protected admin grants a protected role in a project', 'PUT', 'marie', { roles: ['employee'], projects: { p1: ['admin'] } }, 'oscar', 'protected_role'],
      ['anyone deactivates the owner', 'PUT', 'olivia', { roles: ['admin'], owner: true, status: 'inactive' }, 'oscar', 'owner_protected'],
      ['the owner is demoted', 'PUT', 'olivia', { roles: ['admin'] }, 'ada', 'owner_protected'],
      ['the owner is deleted', 'DELETE', 'olivia', undefined, 'ada', 'owner_protected'],
      ['someone makes itself owner by a plain write', 'PUT', 'oscar', { roles: ['office'], owner: true }, 'oscar', 'owner_transfer_required'],
      ['a user without users permissions changes another', 'PUT', 'paul', { roles: ['employee'] }, 'marie', 'users_permission'],
      ['an actor that is no subject', 'PUT', 'marie', { roles: ['manager'] }, 'mallory', 'actor_unknown']
    ]
    for (const [name, method, target, body, actor, code] of attacks) {
      const before = await revisionOf(app, rootKey, tenant)
      const stored = (await call(app, 'GET', `/v1/tenants/${tenant}/subjects/${target}`, { key: adminKey })).json()
      const res = await call(app, method, `/v1/tenants/${tenant}/subjects/${target}`, { key: adminKey, body, headers: { 'gatehouse-actor': actor } })
      t.equal(res.statusCode, 403, `${name}: 403`, { body: res.body })
      t.match(res.json(), { code: 'forbidden', details: [{ code }] }, `${name}: names ${code}`)
      t.equal(await revisionOf(app, rootKey, tenant), before, `${name}: nothing written`)
      t.same((await call(app, 'GET', `/v1/tenants/${tenant}/subjects/${target}`, { key: adminKey })).json(), stored, `${name}: the subject is unchanged`)
    }
    const plain = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/olivia`, { key: adminKey, body: { roles: ['admin'], owner: true, status: 'inactive' } })
    t.equal(plain.statusCode, 403, 'the owner rules hold without an actor too, even for an admin key')
    const root = await call(app, 'DELETE', `/v1/tenants/${tenant}/subjects/olivia`, { key: rootKey })
    t.equal(root.statusCode, 403, 'and for the root key')
  })

  await t.test('allowed: users permissions for ordinary subjects, a protected role for protected ones', async t => {
    const { tenant, adminKey } = await setup(t)
    const ok = async (target: string, body: Record<string, unknown>, actor: string): Promise<void> => {
      const res = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/${target}`, { key: adminKey, body, headers: { 'gatehouse-actor': actor } })
      t.ok(res.statusCode === 200 || res.statusCode === 201, `${actor} changes ${target}`, { body: res.body })
    }
    await ok('marie', { roles: ['manager'] }, 'oscar')
    await ok('newbie', { roles: ['employee'] }, 'oscar')
    await ok('oscar', { roles: ['office', 'admin'] }, 'ada')
    await ok('ada', { roles: ['employee'] }, 'olivia')
    const audit = (await call(app, 'GET', `/v1/tenants/${tenant}/audit?entity_type=subject&entity_id=ada`, { key: rootKey })).json().entries
    t.match(audit.at(-1), { actor: 'olivia' }, 'the audit log names the acting user')
  })

  await t.test('deactivating a subject takes effect on the very next decision', async t => {
    const { tenant, adminKey, checkKey } = await setup(t)
    const body = evaluation('paul', 'view', 'jobs', 'job-1')
    t.equal((await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body })).json().decision, true)
    await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/paul`, { key: adminKey, body: { roles: ['manager'], status: 'inactive' }, headers: { 'gatehouse-actor': 'oscar' } })
    const next = (await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body })).json()
    t.equal(next.decision, false)
    t.equal(next.context.reason.code, 'subject_inactive')
  })

  await t.test('a key created with actor: required writes only for a named actor', async t => {
    const { tenant, adminKey } = await setup(t)
    const minted = await call(app, 'POST', `/v1/tenants/${tenant}/keys`, { key: rootKey, body: { scopes: ['admin'], actor: 'required' } })
    t.equal(minted.statusCode, 201)
    t.equal(minted.json().actor, 'required')
    const key = minted.json().secret as string
    const before = await revisionOf(app, rootKey, tenant)
    const bare = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/marie`, { key, body: { roles: ['manager'] } })
    t.equal(bare.statusCode, 403)
    t.match(bare.json(), { details: [{ in: 'headers', path: '/gatehouse-actor', code: 'actor_required' }] })
    t.equal(await revisionOf(app, rootKey, tenant), before, 'nothing written')
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/subjects/marie`, { key })).statusCode, 200, 'reads need no actor')
    const named = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/marie`, { key, body: { roles: ['manager'] }, headers: { 'gatehouse-actor': 'oscar' } })
    t.equal(named.statusCode, 200)
    t.match((await call(app, 'GET', `/v1/tenants/${tenant}/keys`, { key: adminKey })).json().keys.at(-1), { actor: 'required' })
  })

  await t.test('ownership moves only by a transfer the owner makes', async t => {
    const { tenant, adminKey } = await setup(t)
    const transfer = async (to: string, actor?: string) =>
      await call(app, 'POST', `/v1/tenants/${tenant}/subjects/${to}/transfer-ownership`, { key: adminKey, headers: actor === undefined ? {} : { 'gatehouse-actor': actor } })
    const before = await revisionOf(app, rootKey, tenant)
    for (const [name, res] of [['without an actor', await transfer('ada')], ['by someone else', await transfer('oscar', 'oscar')], ['by a protected admin', await transfer('ada', 'ada')]] as const) {
      t.equal(res.statusCode, 403, `${name}: 403`)
      t.match(res.json(), { details: [{ code: 'owner_transfer_required' }] })
    }
    t.equal(await revisionOf(app, rootKey, tenant), before, 'nothing written')
    const moved = await transfer('ada', 'olivia')
    t.equal(moved.statusCode, 200)
    t.same(moved.json(), { owner: 'ada', revision: before + 1 })
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/subjects/ada`, { key: adminKey })).json().owner, true)
    t.notOk((await call(app, 'GET', `/v1/tenants/${tenant}/subjects/olivia`, { key: adminKey })).json().owner, 'the former owner is not one any more')
    const demote = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/olivia`, { key: adminKey, body: { roles: ['employee'] }, headers: { 'gatehouse-actor': 'ada' } })
    t.equal(demote.statusCode, 200, 'the former owner can now be changed like anyone')
  })

  await t.test('user_admin: construction-projects invites users and manages subcontractors through their own module', async t => {
    const { tenant, adminKey } = await setupTenant(t, app, rootKey)
    t.equal((await call(app, 'PUT', `/v1/tenants/${tenant}/policy?template=construction-projects`, { key: adminKey })).statusCode, 200)
    for (const [id, body] of Object.entries({ owen: { owner: true }, ulla: { roles: ['users_admin'] }, sonia: { roles: ['subcontractors_admin'] } })) {
      t.equal((await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/${id}`, { key: adminKey, body })).statusCode, 201)
    }
    const write = async (actor: string, target: string, body: Record<string, unknown>): Promise<{ statusCode: number, json: () => any }> =>
      await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/${target}`, { key: adminKey, body, headers: { 'gatehouse-actor': actor } })
    t.equal((await write('owen', 'worker-1', { projects: { p1: ['worker'] } })).statusCode, 201, 'the owner invites an internal user (action `invite`)')
    t.equal((await write('ulla', 'worker-2', { projects: { p1: ['worker'] } })).statusCode, 201, 'the users permission invites one')
    t.equal((await write('sonia', 'sub-1', { projects: { p1: ['subcontractor'] } })).statusCode, 201, 'a subcontractor manager invites a subcontractor')
    const internal = await write('sonia', 'worker-3', { projects: { p1: ['worker'] } })
    t.equal(internal.statusCode, 403, 'but no internal user')
    t.match(internal.json(), { code: 'forbidden', details: [{ code: 'users_permission' }], message: /`invite` on `users`/ })
    const turned = await write('sonia', 'sub-1', { projects: { p1: ['worker'] } })
    t.equal(turned.statusCode, 403, 'nor turns a subcontractor into an internal user')
  })
})
