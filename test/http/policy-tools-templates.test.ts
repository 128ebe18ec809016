/**
 * `GET /v1/templates`, `GET /v1/templates/{name}` and `PUT /v1/tenants/{tenant}/policy?template=NAME`:
 * the shipped templates, listed to any valid key and imported exactly as their bundle file would be.
 */
import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { evaluation, exampleBundle } from './fixtures.js'

const templatesDir = new URL('../../src/templates/', import.meta.url)
const NAMES = readdirSync(templatesDir, { withFileTypes: true }).filter(e => e.isDirectory()).map(e => e.name).sort()
const bundleText = (name: string): string => readFileSync(new URL(`${name}/bundle.yaml`, templatesDir), 'utf8')
/** The template's own suite, run against the tenant's policy: its `bundle: bundle.yaml` line removed (a path is refused over HTTP). */
const suiteText = (name: string): string => readFileSync(new URL(`${name}/suite.yaml`, templatesDir), 'utf8').replace(/^bundle: .*$/m, '')
const yaml = { 'content-type': 'application/yaml' }

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)

  await t.test('the five templates are listed to any valid key, with their roles and modules', async t => {
    t.same(NAMES, ['construction-projects', 'field-crew', 'maintenance', 'service-company', 'site-orders'], 'the shipped templates (DESIGN.md §6)')
    const setup = await setupTenant(t, app, rootKey)
    for (const key of [rootKey, setup.adminKey, setup.checkKey, setup.fullKey]) {
      const res = await call(app, 'GET', '/v1/templates', { key })
      t.equal(res.statusCode, 200, { body: res.body })
      t.same(res.json().map((x: { name: string }) => x.name), NAMES)
    }
    const list = (await call(app, 'GET', '/v1/templates', { key: setup.checkKey })).json() as Array<{ name: string, description: string, roles: string[], modules: string[] }>
    for (const template of list) {
      const bundle = parse(bundleText(template.name)) as { roles: Record<string, unknown>, modules: Record<string, unknown> }
      t.same(template.roles, Object.keys(bundle.roles), `${template.name}: the roles of its bundle`)
      t.same(template.modules, Object.keys(bundle.modules), `${template.name}: the modules of its bundle`)
      t.ok(template.description.length > 0, `${template.name} has a description`)
    }
    t.match(list.find(x => x.name === 'site-orders'), { roles: ['admin', 'manager', 'operative', 'compagnon'], modules: ['orders', 'events'] })
  })

  await t.test('a template reads as json, or as the shipped yaml file itself; an unknown one is a json 404', async t => {
    const setup = await setupTenant(t, app, rootKey)
    const json = await call(app, 'GET', '/v1/templates/maintenance', { key: setup.checkKey })
    t.equal(json.statusCode, 200)
    t.match(json.headers['content-type'], /^application\/json/)
    t.same(json.json(), parse(bundleText('maintenance')))
    const text = await call(app, 'GET', '/v1/templates/maintenance', { key: rootKey, headers: { accept: 'application/yaml' } })
    t.equal(text.statusCode, 200)
    t.match(text.headers['content-type'], /^application\/yaml/)
    t.equal(text.body, bundleText('maintenance'), 'comments included, byte for byte')
    for (const name of ['no-such-template', '../../package', 'Site-Orders']) {
      const missing = await call(app, 'GET', `/v1/templates/${encodeURIComponent(name)}`, { key: setup.adminKey })
      t.equal(missing.statusCode, 404, `\`${name}\` is not a template`)
      t.match(missing.json(), { code: 'not_found', message: /expected one of `construction-projects`/ })
    }
  })

  await t.test('the templates need a valid key', async t => {
    for (const url of ['/v1/templates', '/v1/templates/site-orders']) {
      const none = await call(app, 'GET', url)
      t.equal(none.statusCode, 401)
      t.match(none.json(), { code: 'unauthorized', message: /missing `authorization`/ })
      t.match(none.headers['www-authenticate'], /^Bearer/)
      const wrong = await call(app, 'GET', url, { key: 'gh_000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })
      t.equal(wrong.statusCode, 401)
      t.equal(wrong.json().code, 'unauthorized')
    }
  })

  for (const name of NAMES) {
    await t.test(`?template=${name} imports exactly what an import of its bundle file does`, async t => {
      const byTemplate = await setupTenant(t, app, rootKey)
      const byFile = await setupTenant(t, app, rootKey)
      const before = await revisionOf(app, rootKey, byTemplate.tenant)
      const res = await call(app, 'PUT', `/v1/tenants/${byTemplate.tenant}/policy?template=${name}`, { key: byTemplate.adminKey })
      t.equal(res.statusCode, 200, { body: res.body })
      t.same(res.json(), { revision: before + 1 }, 'one write')
      t.equal(res.headers.etag, `"${before + 1}"`)
      const file = await call(app, 'PUT', `/v1/tenants/${byFile.tenant}/policy`, { key: byFile.adminKey, body: bundleText(name), headers: yaml })
      t.equal(file.statusCode, 200, { body: file.body })
      t.equal(file.json().revision, res.json().revision, 'the same revision bump as the file import')
      const exported = await call(app, 'GET', `/v1/tenants/${byTemplate.tenant}/policy`, { key: byTemplate.adminKey })
      const fromFile = await call(app, 'GET', `/v1/tenants/${byFile.tenant}/policy`, { key: byFile.adminKey })
      t.equal(exported.body, fromFile.body, 'the same policy')

      // The template's own regression suite passes on the imported policy.
      const run = await call(app, 'POST', `/v1/tenants/${byTemplate.tenant}/policy/tests`, { key: byTemplate.adminKey, body: suiteText(name), headers: yaml })
      t.equal(run.statusCode, 200, { body: run.body.slice(0, 2000) })
      const report = run.json()
      t.ok(report.total > 20, `${report.total as number} cases ran`)
      t.equal(report.failed, 0, 'every case of the template suite passes', { failing: report.cases.filter((c: { ok: boolean }) => !c.ok).slice(0, 5) })
      t.equal(report.policy, 'live')
    })
  }

  await t.test('a template import decides as the bundle file: operatives see the orders of their own sites only', async t => {
    const byTemplate = await setupTenant(t, app, rootKey)
    const byFile = await setupTenant(t, app, rootKey)
    t.equal((await call(app, 'PUT', `/v1/tenants/${byTemplate.tenant}/policy?template=site-orders`, { key: byTemplate.adminKey })).statusCode, 200)
    t.equal((await call(app, 'PUT', `/v1/tenants/${byFile.tenant}/policy`, { key: byFile.adminKey, body: bundleText('site-orders'), headers: yaml })).statusCode, 200)
    const probes: Array<[string, string, string, string, boolean]> = [
      ['olivia', 'view', 'orders', 'o-a1', true],
      ['olivia', 'view', 'orders', 'o-b1', false],
      ['olivia', 'create', 'orders', 'o-a1', false],
      ['marc', 'lock', 'billing', 'inv-a1', false],
      ['marc', 'receive', 'billing', 'inv-a1', true],
      ['alice', 'lock', 'billing', 'inv-a1', true]
    ]
    for (const setup of [byTemplate, byFile]) {
      for (const [id, subject] of Object.entries({ olivia: { projects: { 'site-a': ['operative'] } }, marc: { roles: ['manager'] }, alice: { roles: ['admin'] } })) {
        t.equal((await call(app, 'PUT', `/v1/tenants/${setup.tenant}/subjects/${id}`, { key: setup.adminKey, body: subject })).statusCode, 201)
      }
      for (const [path, properties] of Object.entries({ 'orders/o-a1': { project: 'site-a' }, 'orders/o-b1': { project: 'site-b' }, 'billing/inv-a1': { project: 'site-a' } })) {
        t.equal((await call(app, 'PUT', `/v1/tenants/${setup.tenant}/resources/${path}`, { key: setup.adminKey, body: properties })).statusCode, 201)
      }
    }
    // An invoice's status is an attribute (a locked one is changed by nobody): sent inline.
    const inline = (type: string): Record<string, unknown> | undefined => type === 'billing' ? { project: 'site-a', status: 'draft' } : undefined
    for (const [subject, action, type, id, allowed] of probes) {
      const a = await call(app, 'POST', '/access/v1/evaluation', { key: byTemplate.checkKey, body: evaluation(subject, action, type, id, inline(type)) })
      const b = await call(app, 'POST', '/access/v1/evaluation', { key: byFile.checkKey, body: evaluation(subject, action, type, id, inline(type)) })
      t.equal(a.json().decision, allowed, `${subject} ${allowed ? 'may' : 'may not'} ${action} ${type}/${id}`)
      t.same(a.json().context.reason, b.json().context.reason, 'the same reason as with the bundle file')
    }

    // The same checks as a suite on the stored subjects and resources.
    const run = await call(app, 'POST', `/v1/tenants/${byTemplate.tenant}/policy/tests`, {
      key: byTemplate.adminKey,
      body: {
        cases: probes.map(([subject, action, type, id, allowed]) => ({
          subject, action, resource: inline(type) === undefined ? `${type}/${id}` : { type, id, properties: inline(type) }, expect: allowed ? 'allow' : 'deny'
        }))
      }
    })
    t.match(run.json(), { data: 'stored', total: probes.length, failed: 0 })
  })

  await t.test('a template import honours if-match and writes nothing when refused', async t => {
    const setup = await setupTenant(t, app, rootKey, { bundle: exampleBundle })
    const current = await revisionOf(app, rootKey, setup.tenant)
    const policy = (await call(app, 'GET', `/v1/tenants/${setup.tenant}/policy`, { key: setup.adminKey })).body
    const stale = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/policy?template=field-crew`, { key: setup.adminKey, headers: { 'if-match': `"${current - 1}"` } })
    t.equal(stale.statusCode, 412)
    t.equal(stale.json().code, 'revision_mismatch')
    t.equal(stale.headers.etag, `"${current}"`)

    const refusals: Array<[string, { url: string, key?: string, body?: string | Record<string, unknown>, headers?: Record<string, string> }, number, string, string?]> = [
      ['a body as well', { url: '?template=field-crew', body: exampleBundle }, 400, 'validation_failed', '/template'],
      ['a yaml body as well', { url: '?template=field-crew', body: bundleText('field-crew'), headers: yaml }, 400, 'validation_failed', '/template'],
      ['an unknown template', { url: '?template=field-crews' }, 400, 'validation_failed', '/template'],
      ['an empty template name', { url: '?template=' }, 400, 'validation_failed', '/template'],
      ['an unknown query parameter', { url: '?templat=field-crew' }, 400, 'validation_failed', '/templat'],
      ['a check key', { url: '?template=field-crew', key: setup.checkKey }, 403, 'forbidden'],
      ['no key', { url: '?template=field-crew', key: '' }, 401, 'unauthorized']
    ]
    for (const [what, req, status, code, path] of refusals) {
      const res = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/policy${req.url}`, {
        ...(req.key === '' ? {} : { key: req.key ?? setup.adminKey }), body: req.body, headers: req.headers
      })
      t.equal(res.statusCode, status, `${what}: ${status}`, { body: res.body })
      t.equal(res.json().code, code)
      if (path !== undefined) t.ok((res.json().details as Array<{ in?: string, path: string }>).some(d => d.in === 'querystring' && d.path === path), `names \`${path}\``, { body: res.json() })
    }
    const unknown = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/policy?template=field-crews`, { key: setup.adminKey })
    t.match(unknown.json().message, /unknown template `field-crews`: expected one of `construction-projects`, `field-crew`, `maintenance`, `service-company`, `site-orders`/,
      'the message lists the templates')

    t.equal(await revisionOf(app, rootKey, setup.tenant), current, 'nothing was written')
    t.equal((await call(app, 'GET', `/v1/tenants/${setup.tenant}/policy`, { key: setup.adminKey })).body, policy, 'the policy is as it was')
    const ok = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/policy?template=field-crew`, { key: setup.adminKey, headers: { 'if-match': `"${current}"` } })
    t.equal(ok.statusCode, 200)
    t.equal(ok.headers.etag, `"${current + 1}"`)
  })

  await t.test('a key of another tenant cannot import a template', async t => {
    const a = await setupTenant(t, app, rootKey)
    const b = await setupTenant(t, app, rootKey, { bundle: exampleBundle })
    const before = await revisionOf(app, rootKey, b.tenant)
    const res = await call(app, 'PUT', `/v1/tenants/${b.tenant}/policy?template=maintenance`, { key: a.fullKey })
    t.equal(res.statusCode, 403)
    t.equal(res.json().code, 'forbidden')
    t.equal(await revisionOf(app, rootKey, b.tenant), before, 'nothing was written')
    const missing = await call(app, 'PUT', '/v1/tenants/no-such-tenant/policy?template=maintenance', { key: rootKey })
    t.equal(missing.statusCode, 404)
    t.equal(missing.json().code, 'tenant_not_found')
  })
})
