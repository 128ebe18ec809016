/**
 * `POST /v1/tenants/{tenant}/policy/diff`: the impact report of a draft against the live
 * policy and the stored subjects, as JSON or markdown; never writes anything.
 */
import type { Test } from 'tap'
import t from 'tap'
import { stringify } from 'yaml'
import { compileBundle } from '../../src/engine/index.js'
import type { CompiledPolicy, Subject } from '../../src/engine/index.js'
import { diffPolicies } from '../../src/service/policy-diff/index.js'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import type { TenantSetup } from '../helpers/build-app.js'
import { exampleBundle, exampleSubjects } from './fixtures.js'

const url = (tenant: string, query = ''): string => `/v1/tenants/${tenant}/policy/diff${query}`

/** The example bundle where employees hold `management` on jobs: they gain `edit` (and may edit fields). */
function promotedDraft (): Record<string, any> {
  const draft = structuredClone(exampleBundle) as Record<string, any>
  draft.roles.employee.modules.jobs.level = 'management'
  return draft
}

function compiled (bundle: unknown): CompiledPolicy {
  const result = compileBundle(bundle)
  if (!result.ok) throw new Error(JSON.stringify(result.issues))
  return result.policy
}

const storedSubjects: Subject[] = Object.entries(exampleSubjects).map(([id, s]) => ({ id, ...s }) as Subject)

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const fresh = async (): Promise<TenantSetup> => await setupTenant(t, app, rootKey, { bundle: exampleBundle, subjects: exampleSubjects })

  /** Posts a draft and checks that the tenant's revision and policy did not change. */
  async function diff (t: Test, setup: TenantSetup, body: unknown, opts: { key?: string, yaml?: boolean, query?: string } = {}) {
    const before = await revisionOf(app, rootKey, setup.tenant)
    const policyBefore = await call(app, 'GET', `/v1/tenants/${setup.tenant}/policy`, { key: rootKey })
    const res = await call(app, 'POST', url(setup.tenant, opts.query), {
      key: opts.key ?? setup.adminKey,
      body: body as Record<string, unknown> | string,
      headers: opts.yaml === true ? { 'content-type': 'application/yaml' } : {}
    })
    t.equal(await revisionOf(app, rootKey, setup.tenant), before, 'the revision is unchanged: nothing was written')
    t.equal((await call(app, 'GET', `/v1/tenants/${setup.tenant}/policy`, { key: rootKey })).body, policyBefore.body, 'the policy is unchanged')
    return { res, revision: before }
  }

  await t.test('a json draft gets the full impact report, with what each stored subject gains', async t => {
    const setup = await fresh()
    const { res, revision } = await diff(t, setup, { bundle: promotedDraft() })
    t.equal(res.statusCode, 200, { body: res.body })
    t.match(res.headers['content-type'], /^application\/json/)
    t.equal(res.headers.etag, `"${revision}"`)
    const report = res.json()
    t.same(report, diffPolicies(compiled(exampleBundle), compiled(promotedDraft()), { subjects: storedSubjects }),
      'exactly the report of diffPolicies over the live policy and the stored subjects (nothing lost in serialization)')
    t.match(report.summary, { permissions: { gained: 1, lost: 0 }, subjects: { checked: 4, affected: 1 } })
    t.match(report.permissions, [{ role: 'employee', module: 'jobs', action: 'edit', change: 'gained', before: { granted: false }, after: { granted: true } }])
    t.match(report.fields, [{ role: 'employee', module: 'jobs', field: 'client_name', before: 'read', after: 'edit' }])
    t.match(report.subjects, [{ subject: 'marie', changes: [{ module: 'jobs', action: 'edit', change: 'gained' }] }],
      'marie gains edit; olga, inactive, gains nothing')
  })

  await t.test('a draft with conditions: every `when` reaches the response, for roles, actions and subjects', async t => {
    const setup = await fresh()
    const draft = structuredClone(exampleBundle) as Record<string, any>
    draft.modules.jobs.attributes = { status: { enum: ['open', 'closed'] } }
    draft.modules.jobs.actions.edit.when = "resource.status != 'closed'"
    draft.roles.employee.modules.jobs.when = { view: "resource.status == 'open'" }
    const { res } = await diff(t, setup, { bundle: draft })
    t.equal(res.statusCode, 200, { body: res.body })
    const report = res.json()
    t.same(report, diffPolicies(compiled(exampleBundle), compiled(draft), { subjects: storedSubjects }), 'nothing lost in serialization')
    t.match(report.definitions, [{ kind: 'action', module: 'jobs', action: 'edit', after: { when: "resource.status != 'closed'" } }])
    t.match(report.permissions, [{ role: 'employee', module: 'jobs', action: 'view', change: 'changed', after: { when: "resource.status == 'open'" } }])
    t.ok(report.subjects.some((s: any) => s.changes.some((c: any) => c.action === 'edit' && c.after.when === "resource.status != 'closed'")), 'a subject who may edit now may edit where the condition holds')
  })

  await t.test('a yaml draft gives the same report', async t => {
    const setup = await fresh()
    const { res } = await diff(t, setup, stringify(promotedDraft()), { yaml: true })
    t.equal(res.statusCode, 200, { body: res.body })
    const json = await diff(t, setup, { bundle: promotedDraft() })
    t.same(res.json(), json.res.json())
  })

  await t.test('?format=markdown answers a pull-request comment', async t => {
    const setup = await fresh()
    const { res, revision } = await diff(t, setup, { bundle: promotedDraft() }, { query: '?format=markdown' })
    t.equal(res.statusCode, 200, { body: res.body })
    t.match(res.headers['content-type'], /^text\/markdown/)
    t.equal(res.headers.etag, `"${revision}"`)
    t.match(res.body, /^### gatehouse policy diff/)
    t.match(res.body, new RegExp(`\`${setup.tenant} at revision ${revision}\` → \`draft\``))
    t.match(res.body, /\| gained \| `employee` \| `jobs` \| `edit` \|/)
    t.match(res.body, /marie/)
    const same = await diff(t, setup, { bundle: exampleBundle }, { query: '?format=markdown' })
    t.match(same.res.body, /\*\*No difference\*\*/)
  })

  await t.test('a tenant without a policy is compared with an empty one', async t => {
    const bare = await setupTenant(t, app, rootKey)
    const { res } = await diff(t, bare, { bundle: exampleBundle })
    t.equal(res.statusCode, 200, { body: res.body })
    const report = res.json()
    t.equal(report.summary.permissions.lost, 0)
    t.ok(report.summary.permissions.gained > 0)
    t.same(report.added.roles, ['admin', 'employee', 'manager'])
    t.match(report.summary.subjects, { checked: 0, affected: 0 })
  })

  await t.test('an invalid draft is a 400 naming every issue', async t => {
    const setup = await fresh()
    const broken = promotedDraft()
    broken.roles.employee.modules.jobs.level = 'boss'
    broken.roles.manager.flags = ['manage_price']
    const json = await diff(t, setup, { bundle: broken })
    t.equal(json.res.statusCode, 400)
    t.match(json.res.json(), { code: 'policy_invalid', message: /^the draft bundle has 2 problems: [^;]+; [^;]+$/ })
    t.same((json.res.json().details as Array<{ path: string }>).map(d => d.path).sort(),
      ['/bundle/roles/employee/modules/jobs/level', '/bundle/roles/manager/flags/0'])

    const yaml = await diff(t, setup, 'version: 1\nmodules: {}\nroles:\n  boss:\n    modules:\n      jobs: { access: all }\n', { yaml: true })
    t.equal(yaml.res.statusCode, 400)
    t.match(yaml.res.json(), { code: 'policy_invalid', details: [{ path: '/roles/boss/modules/jobs', line: 6, col: 7 }] })

    const syntax = await diff(t, setup, 'version: 1\nversion: 2\n', { yaml: true })
    t.equal(syntax.res.statusCode, 400)
    t.match(syntax.res.json(), { code: 'invalid_yaml', message: /line 2, column 1/, details: [{ line: 2, col: 1 }] })
  })

  await t.test('a body that is not `{ bundle }` is a 400 naming the field', async t => {
    const setup = await fresh()
    const missing = await diff(t, setup, {})
    t.equal(missing.res.statusCode, 400)
    t.match(missing.res.json(), { code: 'validation_failed', details: [{ in: 'body', path: '/bundle', message: 'is required' }] })
    const unknown = await diff(t, setup, { bundle: exampleBundle, dryRun: false })
    t.equal(unknown.res.statusCode, 400)
    t.match(unknown.res.json(), { code: 'validation_failed', message: /`\/dryRun`/, details: [{ path: '/dryRun' }] })
    const bare = await diff(t, setup, exampleBundle)
    t.equal(bare.res.statusCode, 400, 'a json bundle must be wrapped in `{ bundle }`')
    t.match(bare.res.json().details, [{ path: '/version' }])
    const list = await diff(t, setup, [])
    t.equal(list.res.statusCode, 400)
    t.match(list.res.json(), { code: 'validation_failed', details: [{ path: '' }] })
    const empty = await call(app, 'POST', url(setup.tenant), { key: setup.adminKey })
    t.equal(empty.statusCode, 400)
    t.match(empty.json(), { code: 'validation_failed', message: 'body is required' })
    const format = await call(app, 'POST', url(setup.tenant, '?format=pdf'), { key: setup.adminKey, body: { bundle: exampleBundle } })
    t.equal(format.statusCode, 400)
    t.match(format.json(), { code: 'validation_failed', details: [{ in: 'querystring', path: '/format' }] })
    const form = await call(app, 'POST', url(setup.tenant), { key: setup.adminKey, body: 'bundle=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    t.equal(form.statusCode, 415)
  })

  await t.test('only an admin key of the tenant (or the root key) asks for a diff', async t => {
    const setup = await fresh()
    const other = await fresh()
    const body = { bundle: promotedDraft() }
    const none = await call(app, 'POST', url(setup.tenant), { body })
    t.equal(none.statusCode, 401)
    t.equal(none.json().code, 'unauthorized')
    const wrong = await call(app, 'POST', url(setup.tenant), { key: `${setup.adminKey}x`, body })
    t.equal(wrong.statusCode, 401)
    const check = await call(app, 'POST', url(setup.tenant), { key: setup.checkKey, body })
    t.equal(check.statusCode, 403, 'a check key lacks the admin scope')
    t.equal(check.json().code, 'forbidden')
    const cross = await call(app, 'POST', url(setup.tenant), { key: other.fullKey, body })
    t.equal(cross.statusCode, 403, 'a key of another tenant')
    t.notMatch(cross.body, /marie/, 'nothing of the tenant leaks')
    const root = await call(app, 'POST', url(setup.tenant), { key: rootKey, body })
    t.equal(root.statusCode, 200)
    const unknown = await call(app, 'POST', url('no-such-tenant'), { key: rootKey, body })
    t.equal(unknown.statusCode, 404)
    t.equal(unknown.json().code, 'tenant_not_found')
  })
})
