import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { evaluation, exampleSubjects, exampleYaml } from './fixtures.js'

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)

  await t.test('the worked example: tenant, keys, yaml bundle, subjects, stored job, decisions with reasons and fields', async t => {
    const { tenant, adminKey, checkKey } = await setupTenant(t, app, rootKey)

    const imported = await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, {
      key: adminKey, body: exampleYaml, headers: { 'content-type': 'application/yaml' }
    })
    t.equal(imported.statusCode, 200, 'yaml bundle imported')
    t.equal(imported.headers.etag, `"${imported.json().revision as number}"`, 'etag carries the revision')

    for (const [id, subject] of Object.entries(exampleSubjects)) {
      const res = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/${id}`, { key: adminKey, body: subject })
      t.equal(res.statusCode, 201, `subject ${id} created`)
    }
    const job = await call(app, 'PUT', `/v1/tenants/${tenant}/resources/jobs/job-1`, {
      key: adminKey, body: { project: 'site-12', assignee: 'marie@example.com', creator: 'paul' }
    })
    t.equal(job.statusCode, 201)
    t.same(job.json(), { type: 'jobs', id: 'job-1', properties: { project: 'site-12', assignee: ['marie@example.com'], creator: ['paul'] } })

    const revision = await revisionOf(app, rootKey, tenant)
    const check = async (subject: string, action: string, id = 'job-1') => {
      const res = await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body: evaluation(subject, action, 'jobs', id) })
      t.equal(res.statusCode, 200, `${subject} ${action} ${id} answers 200`)
      t.match(res.headers['content-type'], /application\/json/)
      return res.json()
    }

    const marieView = await check('marie', 'view')
    t.equal(marieView.decision, true, 'an employee views a job assigned to her')
    t.equal(marieView.context.reason.code, 'role_grant')
    t.same(marieView.context.fields, { visible: ['client_name'], editable: [] }, 'limited level reads fields; price needs manage_prices')
    t.equal(marieView.context.revision, revision, 'the decision reports the tenant revision')

    const byAlias = await check('marie@example.com', 'view')
    t.equal(byAlias.decision, true, 'the subject is found by alias')

    const marieEdit = await check('marie', 'edit')
    t.equal(marieEdit.decision, false, 'edit needs management')
    t.equal(marieEdit.context.reason.code, 'level_insufficient')
    t.notOk(marieEdit.context.fields, 'no fields on a deny')
    t.type(marieEdit.context.reason.message, 'string')

    const mariePunch = await check('marie', 'punch')
    t.equal(mariePunch.decision, true, 'allow grants punch whatever the level')

    const marieOther = await check('marie', 'view', 'job-2')
    t.equal(marieOther.decision, false, 'a job not stored has no assignee: not in scope')
    t.equal(marieOther.context.reason.code, 'not_in_scope')

    const paulView = await check('paul', 'view')
    t.equal(paulView.decision, true)
    t.same(paulView.context.fields, { visible: ['client_name', 'price'], editable: ['client_name', 'price'] }, 'a manager sees and edits the price')

    const paulDelete = await check('paul', 'delete')
    t.equal(paulDelete.decision, false, 'the manager grant denies delete')
    t.equal(paulDelete.context.reason.code, 'action_denied')

    const ada = await check('ada', 'delete')
    t.equal(ada.decision, true)
    t.equal(ada.context.reason.code, 'role_all')

    const olga = await check('olga', 'view')
    t.equal(olga.decision, false)
    t.equal(olga.context.reason.code, 'subject_inactive')

    const nobody = await check('nobody', 'view')
    t.equal(nobody.decision, false)
    t.equal(nobody.context.reason.code, 'subject_unknown')

    const unknownAction = await check('paul', 'fly')
    t.equal(unknownAction.context.reason.code, 'action_unknown')

    const unknownModule = await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body: evaluation('paul', 'view', 'boats', 'b1') })
    t.equal(unknownModule.json().context.reason.code, 'module_unknown')

    const list = await call(app, 'POST', '/access/v1/search/resource', {
      key: checkKey, body: { subject: { type: 'user', id: 'marie' }, action: { name: 'view' }, resource: { type: 'jobs' } }
    })
    t.equal(list.statusCode, 200)
    t.same(list.json().results, [{ type: 'jobs', id: 'job-1' }], 'list: the one job assigned to marie')
    t.same(list.json().page, { next_token: '', count: 1 })
    const names = ['marie', 'marie@example.com', 'group:crew-a']
    t.same(list.json().context.plan, {
      kind: 'conditional',
      filter: { op: 'or', args: [{ op: 'relation_contains_any', relation: 'assignee', values: names }, { op: 'relation_contains_any', relation: 'responsible', values: names }] }
    }, 'the plan: assigned through either relation, by id, alias or group')
  })

  await t.test('a subject change is seen by the next decision, with the new revision', async t => {
    const { tenant, adminKey, checkKey } = await setupTenant(t, app, rootKey, { subjects: {} })
    await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, { key: adminKey, body: exampleYaml, headers: { 'content-type': 'application/yaml' } })
    const body = evaluation('zoe', 'edit', 'jobs', 'j1')
    const before = await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body })
    t.equal(before.json().context.reason.code, 'subject_unknown')

    const put = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/zoe`, { key: adminKey, body: { roles: ['manager'] } })
    const after = await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body })
    t.equal(after.json().decision, true, 'the new subject is allowed at once')
    t.equal(after.json().context.revision, Number(JSON.parse(put.headers.etag as string)), 'at the revision of the write')

    const demote = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/zoe`, { key: adminKey, body: { roles: ['employee'] } })
    t.equal(demote.statusCode, 200, 'a replaced subject answers 200')
    const demoted = await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body })
    t.equal(demoted.json().decision, false, 'the replaced roles apply at once')

    const del = await call(app, 'DELETE', `/v1/tenants/${tenant}/subjects/zoe`, { key: adminKey })
    t.equal(del.statusCode, 204)
    const gone = await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body })
    t.equal(gone.json().context.reason.code, 'subject_unknown', 'a deleted subject is unknown at once')
  })
})
