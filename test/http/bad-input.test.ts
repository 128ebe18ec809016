import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import type { TenantSetup } from '../helpers/build-app.js'
import { exampleBundle, exampleSubjects } from './fixtures.js'
import { ROUTES } from './routes.js'
import type { RouteCase } from './routes.js'

// A hang guard, not a speed bound: every route's bad bodies on both databases: over tap's 120 s default at load 15.
t.setTimeout(300_000)

const BODY_LIMIT = 16 * 1024

function keyFor (route: RouteCase, setup: TenantSetup, rootKey: string): string {
  if (route.access === 'audit') return setup.fullKey
  return route.access === 'root' ? rootKey : route.access === 'admin' ? setup.adminKey : setup.checkKey
}

/** Sends a request on `route` and checks that it was refused with `status` and `code`, and that nothing was written. */
async function refused (
  t: Test, app: FastifyInstance, rootKey: string, setup: TenantSetup, route: RouteCase,
  want: { status: number, code: string, path?: string },
  req: { key?: string, payload?: string, headers?: Record<string, string> }
): Promise<void> {
  const before = await revisionOf(app, rootKey, setup.tenant)
  const headers: Record<string, string> = { ...req.headers }
  if (req.key !== undefined) headers.authorization = `Bearer ${req.key}`
  if (route.access === 'check' && req.key === rootKey) headers['gatehouse-tenant'] = setup.tenant
  const res = await app.inject({ method: route.method, url: route.url(setup.tenant), headers, payload: req.payload })
  t.equal(res.statusCode, want.status, `${route.name} answers ${want.status}`, { body: res.body })
  t.match(res.headers['content-type'], /^application\/json/, 'the error is JSON')
  const body = res.json()
  t.equal(body.code, want.code, `code ${want.code}`)
  t.type(body.message, 'string')
  t.notMatch(res.body, /\bat .+\.(ts|js):\d+/, 'no stack trace')
  if (want.path !== undefined) {
    t.ok((body.details as Array<{ path: string }> | undefined)?.some(d => d.path === want.path), `the error names ${want.path}`, { details: body.details })
  }
  t.equal(await revisionOf(app, rootKey, setup.tenant), before, 'the revision is unchanged: nothing was written')
}

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store, { bodyLimit: BODY_LIMIT })
  const fresh = async (): Promise<TenantSetup> => await setupTenant(t, app, rootKey, {
    bundle: exampleBundle,
    subjects: exampleSubjects,
    resources: { 'jobs/job-1': { assignee: 'marie' } }
  })

  for (const route of ROUTES) {
    await t.test(`${route.name}: bad input is a 4xx json naming the problem, and writes nothing`, async t => {
      const setup = await fresh()
      const key = keyFor(route, setup, rootKey)
      const json = { 'content-type': 'application/json' }

      await refused(t, app, rootKey, setup, route, { status: 401, code: 'unauthorized' }, { payload: JSON.stringify(route.body ?? {}), headers: route.body === undefined ? {} : json })
      const invalid = await app.inject({ method: route.method, url: route.url(setup.tenant), headers: { authorization: 'Bearer gh_000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })
      t.equal(invalid.statusCode, 401, 'an unknown key is a 401')
      t.match(invalid.headers['www-authenticate'], /^Bearer/, 'a 401 says how to authenticate')
      await refused(t, app, rootKey, setup, route, { status: 401, code: 'unauthorized' }, { key: `${setup.adminKey}x` })

      // An admin key lacks the audit scope: reading the log is not administration.
      const wrongScope = route.access === 'check' || route.access === 'audit' ? setup.adminKey : setup.checkKey
      await refused(t, app, rootKey, setup, route, { status: 403, code: 'forbidden' }, { key: wrongScope, payload: JSON.stringify(route.body ?? {}), headers: route.body === undefined ? {} : json })
      if (route.access === 'root') {
        await refused(t, app, rootKey, setup, route, { status: 403, code: 'forbidden' }, { key: setup.fullKey, payload: JSON.stringify(route.body ?? {}), headers: json })
      }

      if (route.body !== undefined) {
        await refused(t, app, rootKey, setup, route, { status: 400, code: 'invalid_json' }, { key, payload: '{"subject": ', headers: json })
        await refused(t, app, rootKey, setup, route, { status: 413, code: 'payload_too_large' }, { key, payload: JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT) }), headers: json })
        // AuthZEN routes answer 400 (certification scenario), the others 415.
        const mediaType = route.access === 'check' ? { status: 400, code: 'validation_failed', path: '/content-type' } : { status: 415, code: 'unsupported_media_type' }
        await refused(t, app, rootKey, setup, route, mediaType, { key, payload: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      }
      if (route.wrongType !== undefined) {
        await refused(t, app, rootKey, setup, route, { status: 400, code: route.wrongType.code ?? 'validation_failed', path: route.wrongType.path }, { key, payload: JSON.stringify(route.wrongType.body), headers: json })
      }
      if (route.unknownField !== undefined) {
        await refused(t, app, rootKey, setup, route, { status: 400, code: route.unknownField.code ?? 'validation_failed', path: route.unknownField.path }, { key, payload: JSON.stringify(route.unknownField.body), headers: json })
      }
      if (route.write) {
        await refused(t, app, rootKey, setup, route, { status: 400, code: 'validation_failed', path: '/if-match' }, { key, payload: route.body === undefined ? undefined : JSON.stringify(route.body), headers: { ...(route.body === undefined ? {} : json), 'if-match': 'yesterday' } })
      }

      // The valid request goes through (so that the refusals above were about the input).
      const ok = await call(app, route.method, route.url(setup.tenant), {
        key, body: route.body, headers: route.access === 'check' && key === rootKey ? { 'gatehouse-tenant': setup.tenant } : {}
      })
      t.ok(ok.statusCode < 300, `the valid request succeeds (${ok.statusCode})`, { body: ok.body })
    })
  }

  await t.test('an unknown tenant is a 404 tenant_not_found on every tenant route', async t => {
    const setup = await fresh()
    const ghost = 'ghost-tenant'
    for (const route of ROUTES) {
      if (route.name === 'PUT tenant') continue
      const headers: Record<string, string> = route.access === 'check' ? { 'gatehouse-tenant': ghost } : {}
      const res = await call(app, route.method, route.url(ghost), { key: rootKey, body: route.body, headers })
      t.equal(res.statusCode, 404, `${route.name} on an unknown tenant`, { body: res.body })
      t.equal(res.json().code, 'tenant_not_found')
      t.match(res.json().message, /ghost-tenant/, 'the message names the tenant')
    }
    t.equal((await call(app, 'GET', `/v1/tenants/${ghost}`, { key: rootKey })).statusCode, 404, 'and nothing created it')
    t.ok(setup.tenant)
  })

  await t.test('an ill-formed tenant id or subject id in the path is a 400 naming the parameter', async t => {
    const res = await call(app, 'GET', '/v1/tenants/Not_Valid!', { key: rootKey })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'validation_failed', details: [{ in: 'params', path: '/tenant' }] })
    const header = await call(app, 'POST', '/access/v1/evaluation', {
      key: rootKey, body: { subject: { type: 'user', id: 'a' }, action: { name: 'view' }, resource: { type: 'jobs', id: 'j' } }, headers: { 'gatehouse-tenant': 'BAD TENANT' }
    })
    t.equal(header.statusCode, 400)
    t.match(header.json(), { code: 'validation_failed', details: [{ in: 'headers', path: '/gatehouse-tenant' }] })
  })

  await t.test('the root key must name the tenant of a decision', async t => {
    const res = await call(app, 'POST', '/access/v1/evaluation', {
      key: rootKey, body: { subject: { type: 'user', id: 'a' }, action: { name: 'view' }, resource: { type: 'jobs', id: 'j' } }
    })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'validation_failed', message: /gatehouse-tenant/, details: [{ in: 'headers', path: '/gatehouse-tenant' }] })
  })

  await t.test('a subject that names what the policy lacks is refused with every issue, and not written', async t => {
    const setup = await fresh()
    const before = await revisionOf(app, rootKey, setup.tenant)
    const res = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/subjects/eve`, {
      key: setup.adminKey, body: { roles: ['employee', 'wizard'], overrides: { flags: { fly: true }, modules: { jobs: { allow: ['teleport'] } } } }
    })
    t.equal(res.statusCode, 400)
    const paths = (res.json().details as Array<{ path: string }>).map(d => d.path)
    t.ok(paths.includes('/roles/1'), 'names the unknown role')
    t.ok(paths.includes('/overrides/flags/fly'), 'names the unknown flag')
    t.ok(paths.includes('/overrides/modules/jobs/allow/0'), 'names the unknown action')
    t.equal(await revisionOf(app, rootKey, setup.tenant), before)
    t.equal((await call(app, 'GET', `/v1/tenants/${setup.tenant}/subjects/eve`, { key: setup.adminKey })).statusCode, 404)
  })

  await t.test('a body id different from the path id is a 400 naming /id', async t => {
    const setup = await fresh()
    const res = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/subjects/eve`, { key: setup.adminKey, body: { id: 'mallory', roles: [] } })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'validation_failed', details: [{ path: '/id' }] })
  })

  await t.test('an alias already used by another subject is a 409 and writes nothing', async t => {
    const setup = await fresh()
    const before = await revisionOf(app, rootKey, setup.tenant)
    const res = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/subjects/eve`, { key: setup.adminKey, body: { roles: [], aliases: ['marie@example.com'] } })
    t.equal(res.statusCode, 409)
    t.match(res.json(), { code: 'conflict', message: /marie@example\.com/ })
    t.equal(await revisionOf(app, rootKey, setup.tenant), before)
  })

  await t.test('a yaml syntax error names the line and column, and writes nothing', async t => {
    const setup = await fresh()
    const before = await revisionOf(app, rootKey, setup.tenant)
    const res = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/policy`, {
      key: setup.adminKey, body: 'version: 1\nmodules:\n  jobs: [a, b\nroles: {}\n', headers: { 'content-type': 'application/yaml' }
    })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'invalid_yaml', message: /line 4, column 1/, details: [{ line: 4, col: 1 }] })
    const dup = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/policy`, {
      key: setup.adminKey, body: 'version: 1\nversion: 1\n', headers: { 'content-type': 'application/yaml' }
    })
    t.equal(dup.statusCode, 400)
    t.match(dup.json(), { code: 'invalid_yaml', message: /line 2/ })
    t.equal(await revisionOf(app, rootKey, setup.tenant), before)
  })

  await t.test('an unknown route is a json 404 and a malformed url a json 400', async t => {
    const res = await call(app, 'GET', '/v2/whatever', { key: rootKey })
    t.equal(res.statusCode, 404)
    t.match(res.json(), { code: 'not_found', message: /\/v2\/whatever/ })
    const bad = await call(app, 'GET', '/v1/tenants/%E0%A4%A', { key: rootKey })
    t.equal(bad.statusCode, 400)
    t.equal(bad.json().code, 'validation_failed')
  })
})
