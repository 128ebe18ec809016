/**
 * `POST /v1/tenants/{tenant}/policy/tests`: a suite runs against the live policy, a draft
 * bundle, the suite's own data or the tenant's stored data, and never writes anything.
 */
import type { Test } from 'tap'
import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import type { TenantSetup } from '../helpers/build-app.js'
import { evaluation, exampleBundle, exampleSubjects } from './fixtures.js'

const ownSuite = {
  name: 'example jobs',
  subjects: { marie: { roles: ['employee'] }, paul: { roles: ['manager'] } },
  resources: [{ type: 'jobs', id: 'j1', properties: { assignee: 'marie' } }],
  cases: [
    {
      name: 'an employee views her job',
      says: 'Employees see only the jobs they are assigned to',
      subject: 'marie',
      action: 'view',
      resource: 'jobs/j1',
      expect: 'allow',
      reason: 'role_grant',
      fields: { visible: ['client_name'], editable: [] }
    },
    { subject: 'paul', resource: 'jobs/j1', allow: ['edit'], deny: ['delete'] },
    { name: 'a wrong expectation', subject: 'marie', action: 'edit', resource: 'jobs/j1', expect: 'allow' }
  ]
}

const yamlSuite = `name: yaml suite
subjects:
  marie: { roles: [employee] }
resources:
  - { type: jobs, id: j1, properties: { assignee: marie } }
cases:
  - subject: marie
    action: view
    resource: jobs/j1
    expect: allow
  - subject: marie
    action: delete
    resource: jobs/j1
    expect: allow
`

const url = (tenant: string): string => `/v1/tenants/${tenant}/policy/tests`

interface Detail { in?: string, path: string, message: string, code?: string, line?: number, col?: number }

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const fresh = async (): Promise<TenantSetup> => await setupTenant(t, app, rootKey, {
    bundle: exampleBundle,
    subjects: exampleSubjects,
    resources: {
      'jobs/job-1': { assignee: 'marie', creator: 'paul' },
      'jobs/job-2': { responsible: 'group:crew-a' },
      'documents/folder-1': { acl: [{ who: 'group:crew-a', allow: ['view', 'edit'] }] },
      'documents/file-1': { parent: 'folder-1' }
    }
  })

  /** Posts `body` and checks that the tenant's revision and policy did not change. */
  async function run (t: Test, setup: TenantSetup, body: Record<string, unknown> | string, opts: { key?: string, yaml?: boolean } = {}) {
    const before = await revisionOf(app, rootKey, setup.tenant)
    const policyBefore = await call(app, 'GET', `/v1/tenants/${setup.tenant}/policy`, { key: setup.adminKey })
    const res = await call(app, 'POST', url(setup.tenant), {
      key: opts.key ?? setup.adminKey, body, headers: opts.yaml === true ? { 'content-type': 'application/yaml' } : {}
    })
    t.equal(await revisionOf(app, rootKey, setup.tenant), before, 'the revision is unchanged: nothing was written')
    const policyAfter = await call(app, 'GET', `/v1/tenants/${setup.tenant}/policy`, { key: setup.adminKey })
    t.equal(policyAfter.body, policyBefore.body, 'the policy is unchanged')
    return { res, revision: before }
  }

  await t.test('a suite with its own subjects runs against the live policy, failing cases included, and writes nothing', async t => {
    const setup = await fresh()
    const { res, revision } = await run(t, setup, ownSuite)
    t.equal(res.statusCode, 200, 'a suite with a failing case still answers 200', { body: res.body })
    t.equal(res.headers.etag, `"${revision}"`)
    const report = res.json()
    t.match(report, { name: 'example jobs', revision, policy: 'live', data: 'suite', total: 4, passed: 3, failed: 1 })
    t.same(report.cases[0], {
      name: 'an employee views her job',
      path: '/cases/0',
      says: ['Employees see only the jobs they are assigned to'],
      subject: 'marie',
      action: 'view',
      resource: { type: 'jobs', id: 'j1' },
      expected: { decision: 'allow', reason: 'role_grant', fields: { visible: ['client_name'], editable: [] } },
      actual: { decision: 'allow', reason: { code: 'role_grant', message: report.cases[0].actual.reason.message } },
      fields: { visible: ['client_name'], editable: [] },
      ok: true,
      mismatches: []
    })
    t.match(report.cases[1], { subject: 'paul', action: 'edit', path: '/cases/1/allow/0', ok: true, actual: { decision: 'allow' } })
    t.match(report.cases[2], { subject: 'paul', action: 'delete', path: '/cases/1/deny/0', ok: true, actual: { decision: 'deny', reason: { code: 'action_denied' } } })
    const wrong = report.cases[3]
    t.match(wrong, { name: 'a wrong expectation', ok: false, expected: { decision: 'allow' }, actual: { decision: 'deny', reason: { code: 'level_insufficient' } } })
    t.match(wrong.mismatches, [/expected `allow`, got `deny`/])
    t.notOk('fields' in wrong, 'a deny has no fields')
  })

  await t.test('a yaml suite reports each case at its line and column', async t => {
    const setup = await fresh()
    const { res } = await run(t, setup, yamlSuite, { yaml: true })
    t.equal(res.statusCode, 200, { body: res.body })
    t.match(res.json(), { name: 'yaml suite', total: 2, passed: 1, failed: 1 })
    t.match(res.json().cases, [{ line: 7, column: 5, ok: true }, { line: 11, column: 5, ok: false, actual: { reason: { code: 'level_insufficient' } } }])
  })

  await t.test('a suite with an inline bundle runs against that draft, and the live policy keeps answering', async t => {
    const setup = await fresh()
    const draft = structuredClone(exampleBundle) as Record<string, any>
    draft.roles.employee.modules.jobs.level = 'management'
    const suite = { ...ownSuite, bundle: draft, cases: [{ subject: 'marie', action: 'edit', resource: 'jobs/j1', expect: 'allow' }] }
    const { res } = await run(t, setup, suite)
    t.equal(res.statusCode, 200, { body: res.body })
    t.match(res.json(), { policy: 'draft', data: 'suite', total: 1, passed: 1, failed: 0 })
    const live = await run(t, setup, { ...suite, bundle: undefined })
    t.match(live.res.json(), { policy: 'live', passed: 0, failed: 1 }, 'the same case fails on the live policy')
    const check = await call(app, 'POST', '/access/v1/evaluation', { key: setup.checkKey, body: evaluation('marie', 'edit', 'jobs', 'job-1') })
    t.equal(check.json().decision, false, 'the draft was not applied')
  })

  await t.test('a draft runs on a tenant without a policy; the live policy of such a tenant is a 404', async t => {
    const bare = await setupTenant(t, app, rootKey)
    const draft = await run(t, bare, { ...ownSuite, bundle: exampleBundle })
    t.equal(draft.res.statusCode, 200, { body: draft.res.body })
    t.match(draft.res.json(), { policy: 'draft', passed: 3, failed: 1 })
    const res = await call(app, 'POST', url(bare.tenant), { key: bare.adminKey, body: ownSuite })
    t.equal(res.statusCode, 404)
    t.equal(res.json().code, 'no_policy')
  })

  await t.test('a suite without subjects and resources runs on the stored ones, deciding as /access/v1/evaluation does', async t => {
    const setup = await fresh()
    const probes: Array<[string, string, string, string]> = [
      ['marie', 'view', 'jobs', 'job-1'],
      ['marie@example.com', 'punch', 'jobs', 'job-1'],
      ['marie', 'view', 'jobs', 'job-2'],
      ['marie', 'delete', 'jobs', 'job-1'],
      ['paul', 'edit', 'jobs', 'job-2'],
      ['olga', 'view', 'jobs', 'job-1'],
      ['ada', 'delete', 'jobs', 'job-2'],
      ['marie', 'edit', 'documents', 'file-1'],
      ['paul', 'edit', 'documents', 'file-1'],
      ['paul', 'view', 'jobs', 'never-stored']
    ]
    const expected: Array<{ decision: boolean, reason: string }> = []
    for (const [subject, action, type, id] of probes) {
      const res = await call(app, 'POST', '/access/v1/evaluation', { key: setup.checkKey, body: evaluation(subject, action, type, id) })
      expected.push({ decision: res.json().decision, reason: res.json().context.reason.code })
    }
    const suite = {
      cases: probes.map(([subject, action, type, id], i) => ({
        subject,
        action,
        // `type/id` for stored resources, `{ type, id }` for one nothing stores (as AuthZEN sends it).
        resource: id === 'never-stored' ? { type, id } : `${type}/${id}`,
        expect: expected[i]?.decision === true ? 'allow' : 'deny',
        reason: expected[i]?.reason
      }))
    }
    const { res } = await run(t, setup, suite)
    t.equal(res.statusCode, 200, { body: res.body })
    const report = res.json()
    t.match(report, { data: 'stored', policy: 'live', total: probes.length, failed: 0 }, 'every case decides as the evaluation endpoint', { cases: report.cases })
    t.same(expected.map(e => e.reason), ['role_grant', 'role_grant', 'role_grant', 'level_insufficient', 'role_grant', 'subject_inactive', 'role_all', 'acl_allow', 'acl_deny', 'role_grant'],
      'the probes cover grants, aliases, groups, inactive subjects, folder ACLs through parent and unstored resources')

    const inline = await run(t, setup, {
      cases: [{ subject: 'marie', action: 'view', resource: { type: 'documents', id: 'new-file', properties: { parent: 'folder-1' } }, expect: 'allow', reason: 'acl_allow' }]
    })
    t.match(inline.res.json(), { data: 'stored', passed: 1 }, 'an inline resource inherits the ACL of its stored parent')

    const draft = structuredClone(exampleBundle) as Record<string, any>
    draft.roles.employee.modules.jobs = { access: 'all', level: 'limited' }
    const onDraft = await run(t, setup, { bundle: draft, cases: [{ subject: 'marie', action: 'view', resource: 'jobs/job-2', expect: 'allow', reason: 'role_grant' }] })
    t.match(onDraft.res.json(), { policy: 'draft', data: 'stored', passed: 1 }, 'stored subjects and resources under a draft')
  })

  await t.test('with stored data, an unknown subject or resource is a 400 at the case naming it', async t => {
    const setup = await fresh()
    const { res } = await run(t, setup, {
      cases: [
        { subject: ['marie', 'nobody'], action: 'view', resource: 'jobs/job-1', expect: 'allow' },
        { subject: 'marie', action: 'view', resource: 'jobs/no-such-job', expect: 'deny' },
        { subject: 'marie', action: 'view', resource: { type: 'documents', properties: { parent: 'no-folder' } }, expect: 'deny' }
      ]
    })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'validation_failed')
    const details = res.json().details as Detail[]
    t.match(details, [
      { in: 'body', path: '/cases/0/subject/1', code: 'unknown_subject', message: 'unknown subject `nobody`: the tenant has no subject with this id or alias' },
      { path: '/cases/1/resource', code: 'unknown_resource', message: /unknown resource `jobs\/no-such-job`: the tenant stores no such resource/ },
      { path: '/cases/2/resource/properties/parent', code: 'unknown_parent', message: /`no-folder` is not a stored resource/ }
    ])
    t.equal(details.length, 3, 'every problem at once')
  })

  await t.test('a bad suite is a 400 naming every problem by path', async t => {
    const setup = await fresh()
    const { res } = await run(t, setup, {
      subjects: { marie: { roles: ['employe'] } },
      cases: [
        { subject: 'marie', action: 'view', resource: { type: 'jobs', id: 'x' }, expct: 'allow' },
        { subject: 'paul', action: 'fly', resource: { type: 'jobs', id: 'x' }, expect: 'deny' }
      ]
    })
    t.equal(res.statusCode, 400)
    const body = res.json()
    t.equal(body.code, 'validation_failed')
    t.match(body.message, /^the suite has \d+ problems: /)
    const paths = (body.details as Detail[]).map(d => d.path)
    for (const path of ['/subjects/marie/roles/0', '/cases/0/expct', '/cases/1/subject']) t.ok(paths.includes(path), `names ${path}`, { paths })
    t.ok((body.details as Detail[]).every(d => d.line === undefined), 'a json suite has no lines')
  })

  await t.test('a bad yaml suite names each problem with its line and column', async t => {
    const setup = await fresh()
    const text = 'subjects:\n  marie: { roles: [employee] }\ncases:\n  - subject: marie\n    action: view\n    resource: { type: jobs, id: x }\n    expct: allow\n  - subject: nobody\n    action: view\n    resource: { type: jobs, id: x }\n    expect: deny\n'
    const { res } = await run(t, setup, text, { yaml: true })
    t.equal(res.statusCode, 400)
    t.match(res.json(), {
      code: 'validation_failed',
      message: /^the suite has 3 problems: .+ \(line 4, column 5\); .+ \(line 7, column 5\); .+ \(line 8, column 14\)$/,
      details: [
        { path: '/cases/0/expect', code: 'missing_property', line: 4, col: 5 },
        { path: '/cases/0/expct', code: 'unknown_property', line: 7, col: 5 },
        { path: '/cases/1/subject', code: 'unknown_subject', line: 8, col: 14 }
      ]
    }, 'in reading order')
    const syntax = await run(t, setup, 'cases:\n  - subject: marie\n    subject: paul\n', { yaml: true })
    t.equal(syntax.res.statusCode, 400)
    t.match(syntax.res.json(), { code: 'invalid_yaml', message: /line 3, column 5/, details: [{ line: 3, col: 5 }] })
  })

  await t.test('a bundle given by path is refused: no files are read', async t => {
    const setup = await fresh()
    const { res } = await run(t, setup, { ...ownSuite, bundle: '../../etc/passwd' })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'validation_failed', details: [{ path: '/bundle', code: 'bundle_path_unsupported' }] })
    t.notMatch(res.body, /root:/, 'nothing was read')
  })

  await t.test('a missing, non-object or non-json body is refused', async t => {
    const setup = await fresh()
    const empty = await call(app, 'POST', url(setup.tenant), { key: setup.adminKey })
    t.equal(empty.statusCode, 400)
    t.match(empty.json(), { code: 'validation_failed', details: [{ path: '', message: 'is required' }] })
    const list = await call(app, 'POST', url(setup.tenant), { key: setup.adminKey, body: [] })
    t.equal(list.statusCode, 400)
    t.match(list.json(), { code: 'validation_failed', details: [{ path: '', code: 'invalid_type' }] })
    const broken = await call(app, 'POST', url(setup.tenant), { key: setup.adminKey, body: '{"cases": [', headers: { 'content-type': 'application/json' } })
    t.equal(broken.statusCode, 400)
    t.equal(broken.json().code, 'invalid_json')
    const form = await call(app, 'POST', url(setup.tenant), { key: setup.adminKey, body: 'cases=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    t.equal(form.statusCode, 415)
  })

  await t.test('only an admin key of the tenant (or the root key) runs suites', async t => {
    const setup = await fresh()
    const other = await fresh()
    const none = await call(app, 'POST', url(setup.tenant), { body: ownSuite })
    t.equal(none.statusCode, 401)
    t.equal(none.json().code, 'unauthorized')
    const wrong = await call(app, 'POST', url(setup.tenant), { key: `${setup.adminKey}x`, body: ownSuite })
    t.equal(wrong.statusCode, 401)
    const check = await call(app, 'POST', url(setup.tenant), { key: setup.checkKey, body: ownSuite })
    t.equal(check.statusCode, 403, 'a check key lacks the admin scope')
    t.equal(check.json().code, 'forbidden')
    const cross = await call(app, 'POST', url(setup.tenant), { key: other.fullKey, body: ownSuite })
    t.equal(cross.statusCode, 403, 'a key of another tenant')
    t.notMatch(cross.body, /marie|employee/, 'nothing of the tenant leaks')
    const root = await call(app, 'POST', url(setup.tenant), { key: rootKey, body: ownSuite })
    t.equal(root.statusCode, 200)
    const unknown = await call(app, 'POST', url('no-such-tenant'), { key: rootKey, body: ownSuite })
    t.equal(unknown.statusCode, 404)
    t.equal(unknown.json().code, 'tenant_not_found')
  })
})
