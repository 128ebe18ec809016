/**
 * The OpenAPI document drives a generated client: openapi-typescript turns the committed
 * `openapi/openapi.json` into types (`test/client/gatehouse-api.d.ts`, checked fresh here),
 * and openapi-fetch, typed by them, runs an ops scenario against a live server on each
 * backend. `npm run typecheck` compiles this file against the generated types, so a route
 * whose schema drifts from what an ops client sends breaks the build, not only this test.
 */
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import createClient from 'openapi-fetch'
import t from 'tap'
import { CLIENT_TYPES_URL, clientTypesText } from '../../scripts/client-types.js'
import type { paths } from '../client/gatehouse-api.js'
import { buildTestApp, eachBackend, freshTenantId } from '../helpers/build-app.js'

t.test('the committed client types are generated from the committed openapi.json (run npm run openapi)', async t => {
  const committed = await readFile(CLIENT_TYPES_URL, 'utf8').catch(() => '')
  const openapi = await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')
  t.equal(committed, await clientTypesText(openapi), 'test/client/gatehouse-api.d.ts is stale: run `npm run openapi`')
})

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const as = (key: string) => createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${key}` } })

  await t.test('an ops scenario through the generated client', async t => {
    const root = as(rootKey)
    const tenant = freshTenantId('ops')

    const created = await root.PUT('/v1/tenants/{tenant}', { params: { path: { tenant } }, body: { name: 'Ops Co' } })
    t.equal(created.response.status, 201, 'tenant created')
    t.equal(created.data?.id, tenant)

    const key = await root.POST('/v1/tenants/{tenant}/keys', { params: { path: { tenant } }, body: { scopes: ['admin', 'check', 'audit'] } })
    t.equal(key.response.status, 201, 'key created')
    const secret = key.data?.secret
    if (secret === undefined) throw new Error('no key secret')
    const ops = as(secret)

    const policy = await ops.PUT('/v1/tenants/{tenant}/policy', {
      params: { path: { tenant } },
      body: {
        version: 1,
        modules: { jobs: { relations: ['assignee'], assigned: ['assignee'], actions: { view: { level: 'limited' }, edit: { level: 'management' } } } },
        roles: { employee: { modules: { jobs: { access: 'assigned', level: 'limited' } } } }
      }
    })
    t.equal(policy.response.status, 200, 'policy imported')
    t.equal(policy.response.headers.get('etag'), `"${policy.data?.revision ?? -1}"`)

    const module = await ops.PUT('/v1/tenants/{tenant}/modules/{name}', {
      params: { path: { tenant, name: 'assets' } },
      body: { relations: ['owner'], actions: { view: { level: 'limited' }, retire: { level: 'full' } } }
    })
    t.equal(module.response.status, 201, 'module defined')
    const role = await ops.PUT('/v1/tenants/{tenant}/roles/{name}', {
      params: { path: { tenant, name: 'technician' } },
      body: { modules: { jobs: { access: 'assigned', level: 'management' }, assets: { access: 'all', level: 'limited' } } }
    })
    t.equal(role.response.status, 201, 'role defined')
    const roles = await ops.GET('/v1/tenants/{tenant}/roles', { params: { path: { tenant } } })
    t.same(Object.keys(roles.data?.roles ?? {}).sort(), ['employee', 'technician'])

    const marie = await ops.PUT('/v1/tenants/{tenant}/subjects/{id}', { params: { path: { tenant, id: 'marie' } }, body: { roles: ['employee'] } })
    t.equal(marie.response.status, 201, 'subject created')
    const overrides = await ops.PUT('/v1/tenants/{tenant}/subjects/{id}/overrides', {
      params: { path: { tenant, id: 'marie' } },
      body: { modules: { jobs: { allow: ['edit'] } } }
    })
    t.equal(overrides.response.status, 200, 'override set')
    const listed = await ops.GET('/v1/tenants/{tenant}/subjects', { params: { path: { tenant }, query: { role: 'employee' } } })
    t.same(listed.data?.subjects.map(s => s.id), ['marie'])
    const permissions = await ops.GET('/v1/tenants/{tenant}/subjects/{id}/permissions', { params: { path: { tenant, id: 'marie' } } })
    t.equal(permissions.response.status, 200, 'the effective permissions')
    const matrix = permissions.data
    if (matrix === undefined || typeof matrix === 'string') throw new Error('the matrix is JSON by default')
    t.match(matrix.cells.find(c => c.module === 'jobs' && c.action === 'edit'), { scope: ['assignee'], sources: ['custom'] }, 'edit comes from her override')

    const decision = await ops.POST('/access/v1/evaluation', {
      body: { subject: { type: 'user', id: 'marie' }, action: { name: 'view' }, resource: { type: 'jobs', id: 'job-9', properties: { assignee: 'marie' } } }
    })
    t.equal(decision.response.status, 200)
    t.equal(decision.data?.decision, true, 'the employee views a job assigned to her')

    const refused = await ops.PUT('/v1/tenants/{tenant}/subjects/{id}', {
      params: { path: { tenant, id: 'paul' } },
      // @ts-expect-error the generated types refuse a role that is not a list, as the server does
      body: { roles: 'manager' }
    })
    t.equal(refused.response.status, 400, 'the server refuses what the types refuse')
    t.match(refused.error, { code: 'validation_failed' })

    const audit = await ops.GET('/v1/tenants/{tenant}/audit', { params: { path: { tenant }, query: { entity_type: 'role' } } })
    t.equal(audit.response.status, 200, 'the audit trail is readable with the audit scope')
    t.same(audit.data?.entries.map(e => [e.action, e.entityId]), [['put', 'technician']], 'the role definition is in it')
    const trail = await ops.GET('/v1/tenants/{tenant}/audit', { params: { path: { tenant }, query: { entity_type: 'subject', entity_id: 'marie' } } })
    t.equal(trail.data?.entries.length, 2, 'marie: created, then her override')
  })
})
