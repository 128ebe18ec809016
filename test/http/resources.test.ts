import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { evaluation, exampleBundle, exampleSubjects } from './fixtures.js'

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const { tenant, adminKey, checkKey } = await setupTenant(t, app, rootKey, {
    bundle: exampleBundle,
    subjects: exampleSubjects,
    resources: {
      'jobs/job-1': { assignee: 'marie', creator: 'paul' },
      'documents/folder-3': { acl: [{ who: 'group:crew-a', allow: ['view', 'edit'] }, { who: 'role:manager', deny: ['view'] }] },
      'documents/doc-1': { parent: 'folder-3', creator: 'ada' },
      'documents/loop-a': { parent: 'loop-b' },
      'documents/loop-b': { parent: 'loop-a' }
    }
  })
  const decide = async (subject: string, action: string, type: string, id: string, properties?: Record<string, unknown>) => {
    const res = await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body: evaluation(subject, action, type, id, properties) })
    t.equal(res.statusCode, 200, `${subject} ${action} ${type}/${id} answers 200`, { body: res.json() })
    return res.json() as { decision: boolean, context: { reason: { code: string } } }
  }

  await t.test('a resource sent without properties is looked up in the store', async t => {
    t.equal((await decide('marie', 'view', 'jobs', 'job-1')).decision, true, 'the stored assignee reaches marie')
  })

  await t.test('a resource sent with properties is evaluated as sent, not as stored', async t => {
    const res = await decide('marie', 'view', 'jobs', 'job-1', { assignee: 'paul' })
    t.equal(res.decision, false)
    t.equal(res.context.reason.code, 'not_in_scope')
    const inline = await decide('marie', 'view', 'jobs', 'never-stored', { assignee: ['group:crew-a'], ownerID: 'ignored@example.com' })
    t.equal(inline.decision, true, 'a group value matches; unknown inline properties are ignored')
  })

  await t.test('a resource neither sent nor stored has no properties: access all still answers', async t => {
    t.equal((await decide('marie', 'view', 'documents', 'doc-404')).decision, true)
    const job = await decide('marie', 'view', 'jobs', 'job-404')
    t.equal(job.decision, false)
    t.equal(job.context.reason.code, 'not_in_scope')
  })

  await t.test('the ACL of a stored parent applies to a stored child', async t => {
    const edit = await decide('marie', 'edit', 'documents', 'doc-1')
    t.equal(edit.decision, true, 'crew-a may edit through the folder ACL although employees are limited')
    t.equal(edit.context.reason.code, 'acl_allow')
    const paul = await decide('paul', 'view', 'documents', 'doc-1')
    t.equal(paul.decision, false, 'the folder ACL denies managers')
    t.equal(paul.context.reason.code, 'acl_deny')
    t.equal((await decide('ada', 'view', 'documents', 'doc-1')).decision, true, 'a role with all: true is not bound by the ACL')
  })

  await t.test('the ACL of a stored parent applies to an inline child', async t => {
    const res = await decide('marie', 'edit', 'documents', 'inline-doc', { parent: 'folder-3' })
    t.equal(res.context.reason.code, 'acl_allow')
  })

  await t.test('a parent cycle ends the ancestor walk', async t => {
    const res = await decide('marie', 'view', 'documents', 'loop-a')
    t.equal(res.decision, true, 'no ACL anywhere in the cycle: the role answers')
  })

  await t.test('a stored resource reads back as properties with the revision as etag, and a delete is seen by the next decision', async t => {
    const get = await call(app, 'GET', `/v1/tenants/${tenant}/resources/jobs/job-1`, { key: adminKey })
    t.equal(get.statusCode, 200)
    t.same(get.json(), { type: 'jobs', id: 'job-1', properties: { assignee: ['marie'], creator: ['paul'] } })
    t.equal(get.headers.etag, `"${await revisionOf(app, rootKey, tenant)}"`)

    const replaced = await call(app, 'PUT', `/v1/tenants/${tenant}/resources/jobs/job-1`, { key: adminKey, body: { assignee: ['paul'] } })
    t.equal(replaced.statusCode, 200, 'a replaced resource answers 200')
    t.equal((await decide('marie', 'view', 'jobs', 'job-1')).decision, false, 'the replacement is seen at once')

    const del = await call(app, 'DELETE', `/v1/tenants/${tenant}/resources/jobs/job-1`, { key: adminKey })
    t.equal(del.statusCode, 204)
    t.equal(del.headers.etag, `"${await revisionOf(app, rootKey, tenant)}"`)
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/resources/jobs/job-1`, { key: adminKey })).statusCode, 404)
    t.equal((await decide('paul', 'view', 'jobs', 'job-1')).decision, true, 'paul has access all anyway')
    const again = await call(app, 'DELETE', `/v1/tenants/${tenant}/resources/jobs/job-1`, { key: adminKey })
    t.equal(again.statusCode, 404)
    t.match(again.json(), { code: 'not_found', message: /job-1/ })
  })

  await t.test('an ACL entry stored with a condition allows only where it holds; a condition on the resource is refused', async t => {
    const put = await call(app, 'PUT', `/v1/tenants/${tenant}/resources/documents/d-web`, { key: adminKey, body: { acl: [{ who: 'marie', allow: ['view'], when: "context.channel == 'web'" }] } })
    t.equal(put.statusCode, 201, put.body)
    t.match((await call(app, 'GET', `/v1/tenants/${tenant}/resources/documents/d-web`, { key: adminKey })).json(), { properties: { acl: [{ who: 'marie', when: "context.channel == 'web'" }] } })
    const asked = async (channel: string): Promise<boolean> => (await call(app, 'POST', '/access/v1/evaluation', {
      key: checkKey, body: { ...evaluation('marie', 'view', 'documents', 'd-web'), context: { channel } }
    })).json().decision
    t.equal(await asked('web'), true, 'the entry allows where its condition holds')
    t.equal(await asked('mobile'), false, 'and nowhere else')
    const before = await revisionOf(app, rootKey, tenant)
    const bad = await call(app, 'PUT', `/v1/tenants/${tenant}/resources/documents/d-web`, { key: adminKey, body: { acl: [{ who: 'marie', allow: ['view'], when: "resource.id == 'x'" }] } })
    t.equal(bad.statusCode, 400, 'an ACL entry condition may not read the resource')
    t.match(bad.json(), { details: [{ path: '/acl/0/when' }] })
    t.equal(await revisionOf(app, rootKey, tenant), before, 'nothing was written')
  })

  await t.test('a stored resource is checked strictly against its module', async t => {
    const before = await revisionOf(app, rootKey, tenant)
    const relation = await call(app, 'PUT', `/v1/tenants/${tenant}/resources/jobs/job-9`, { key: adminKey, body: { assignee: 'marie', owner: 'paul' } })
    t.equal(relation.statusCode, 400)
    t.match(relation.json(), { code: 'validation_failed', details: [{ in: 'body', path: '/owner', code: 'unknown_property' }] })
    const module = await call(app, 'PUT', `/v1/tenants/${tenant}/resources/boats/b-1`, { key: adminKey, body: {} })
    t.equal(module.statusCode, 400)
    t.match(module.json(), { code: 'validation_failed', message: /boats/ })
    const acl = await call(app, 'PUT', `/v1/tenants/${tenant}/resources/documents/d-9`, { key: adminKey, body: { acl: [{ who: '*', allow: ['fly'] }] } })
    t.equal(acl.statusCode, 400)
    t.match(acl.json(), { code: 'validation_failed', details: [{ path: '/acl/0/allow/0' }] })
    const typed = await call(app, 'PUT', `/v1/tenants/${tenant}/resources/jobs/job-9`, { key: adminKey, body: { assignee: 12 } })
    t.equal(typed.statusCode, 400)
    t.match(typed.json(), { code: 'validation_failed', details: [{ path: '/assignee' }] })
    t.equal(await revisionOf(app, rootKey, tenant), before, 'nothing was written')
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/resources/jobs/job-9`, { key: adminKey })).statusCode, 404)
  })

  await t.test('a resource cannot be stored before the tenant has a policy', async t => {
    const bare = await setupTenant(t, app, rootKey)
    const res = await call(app, 'PUT', `/v1/tenants/${bare.tenant}/resources/jobs/j`, { key: bare.adminKey, body: {} })
    t.equal(res.statusCode, 404)
    t.match(res.json(), { code: 'no_policy' })
    const check = await call(app, 'POST', '/access/v1/evaluation', { key: bare.checkKey, body: evaluation('x', 'view', 'jobs', 'j') })
    t.equal(check.statusCode, 404, 'nor can a decision be made')
    t.match(check.json(), { code: 'no_policy' })
  })
})
