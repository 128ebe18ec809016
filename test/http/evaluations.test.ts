import t from 'tap'
import { buildTestApp, call, eachBackend, setupTenant } from '../helpers/build-app.js'
import { exampleBundle, exampleSubjects } from './fixtures.js'

const marie = { type: 'user', id: 'marie' }
const paul = { type: 'identity', id: 'paul' }
const job1 = { type: 'jobs', id: 'job-1' }

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const { checkKey } = await setupTenant(t, app, rootKey, {
    bundle: exampleBundle,
    subjects: exampleSubjects,
    resources: { 'jobs/job-1': { assignee: 'marie' } }
  })
  const batch = async (body: Record<string, unknown>) => {
    const res = await call(app, 'POST', '/access/v1/evaluations', { key: checkKey, body })
    t.equal(res.statusCode, 200, 'a batch answers 200', { body: res.json() })
    return res.json()
  }

  await t.test('items are bare decisions in request order, defaults filled per whole entity', async t => {
    const res = await batch({
      subject: marie,
      action: { name: 'view' },
      resource: job1,
      evaluations: [
        {},
        { action: { name: 'edit' } },
        { subject: paul },
        { resource: { type: 'jobs', id: 'job-2' } },
        { subject: { type: 'user', id: 'nobody' } }
      ]
    })
    t.same(res, { evaluations: [{ decision: true }, { decision: false }, { decision: true }, { decision: false }, { decision: false }] },
      'exactly bare items: interop clients compare them byte for byte')
  })

  await t.test('an item entity replaces the default as a whole: no merging of sub-fields', async t => {
    // The default resource carries properties; the item's resource has none, so the stored job-1 is used.
    const res = await batch({
      subject: marie,
      action: { name: 'view' },
      resource: { type: 'jobs', id: 'inline', properties: { assignee: 'marie' } },
      evaluations: [{}, { resource: { type: 'jobs', id: 'job-1' } }, { resource: { type: 'jobs', id: 'inline' } }],
      options: { context: true }
    })
    t.same(res.evaluations.map((e: { decision: boolean }) => e.decision), [true, true, false])
    t.equal(res.evaluations[2].context.reason.code, 'not_in_scope', 'the inline properties of the default did not leak into the item')
  })

  await t.test('the variant with every entity in every item and no defaults is accepted', async t => {
    const res = await batch({
      evaluations: [
        { subject: marie, action: { name: 'view' }, resource: job1 },
        { subject: paul, action: { name: 'delete' }, resource: job1 }
      ]
    })
    t.same(res, { evaluations: [{ decision: true }, { decision: false }] })
  })

  await t.test('options.context true adds reason, fields and revision to each item', async t => {
    const res = await batch({ subject: marie, resource: job1, evaluations: [{ action: { name: 'view' } }, { action: { name: 'edit' } }], options: { context: true } })
    t.match(res.evaluations[0], { decision: true, context: { reason: { code: 'role_grant' }, fields: { visible: ['client_name'] }, revision: Number } })
    t.match(res.evaluations[1], { decision: false, context: { reason: { code: 'level_insufficient' }, revision: Number } })
  })

  await t.test('execute_all (the default) runs every item; an item missing resource is false inside a 200', async t => {
    const res = await batch({
      subject: marie,
      action: { name: 'view' },
      evaluations: [{ resource: job1 }, {}, { resource: job1 }],
      options: { evaluations_semantic: 'execute_all', another_option: 1 }
    })
    t.same(res, { evaluations: [{ decision: true }, { decision: false }, { decision: true }] })
  })

  await t.test('a failed item fails closed with reason evaluation_error when context is asked for', async t => {
    const res = await batch({
      subject: marie,
      evaluations: [
        { resource: job1 },
        { action: { name: 'view' }, resource: { type: 'jobs' } },
        { action: { name: 'view' }, resource: { type: 'jobs', id: 'x', properties: { project: 12 } } },
        { action: { name: 'view' }, resource: job1 }
      ],
      options: { context: true }
    })
    t.equal(res.evaluations.length, 4)
    for (const i of [0, 1, 2]) {
      t.equal(res.evaluations[i].decision, false, `item ${i} is denied`)
      t.equal(res.evaluations[i].context.reason.code, 'evaluation_error', `item ${i} says evaluation_error`)
    }
    t.match(res.evaluations[0].context.reason.message, /`action`/, 'the message names the missing entity')
    t.match(res.evaluations[1].context.reason.message, /`resource\.id`/)
    t.match(res.evaluations[2].context.reason.message, /project/)
    t.equal(res.evaluations[3].decision, true, 'the other items still get their decisions')
  })

  await t.test('deny_on_first_deny stops at the first deny and returns the shorter array', async t => {
    const res = await batch({
      subject: marie,
      resource: job1,
      evaluations: [{ action: { name: 'view' } }, { action: { name: 'edit' } }, { action: { name: 'view' } }],
      options: { evaluations_semantic: 'deny_on_first_deny' }
    })
    t.same(res, { evaluations: [{ decision: true }, { decision: false }] })
  })

  await t.test('deny_on_first_deny treats a failed item as a deny', async t => {
    const res = await batch({
      subject: marie,
      action: { name: 'view' },
      evaluations: [{}, { resource: job1 }],
      options: { evaluations_semantic: 'deny_on_first_deny' }
    })
    t.same(res, { evaluations: [{ decision: false }] })
  })

  await t.test('permit_on_first_permit stops at the first permit', async t => {
    const res = await batch({
      subject: marie,
      resource: job1,
      evaluations: [{ action: { name: 'edit' } }, { action: { name: 'view' } }, { action: { name: 'edit' } }],
      options: { evaluations_semantic: 'permit_on_first_permit' }
    })
    t.same(res, { evaluations: [{ decision: false }, { decision: true }] })
  })

  await t.test('without evaluations, or with an empty list, the answer is a single evaluation response', async t => {
    for (const evaluations of [undefined, []]) {
      const body: Record<string, unknown> = { subject: marie, action: { name: 'view' }, resource: job1 }
      if (evaluations !== undefined) body.evaluations = evaluations
      const res = await batch(body)
      t.equal(res.decision, true)
      t.equal(res.context.reason.code, 'role_grant')
      t.notOk('evaluations' in res)
    }
  })

  await t.test('without evaluations, a missing entity is a 400 naming it', async t => {
    const res = await call(app, 'POST', '/access/v1/evaluations', { key: checkKey, body: { subject: marie, action: { name: 'view' } } })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'validation_failed', details: [{ in: 'body', path: '/resource' }] })
  })

  await t.test('an empty top-level default is accepted when every item brings its own entity', async t => {
    const res = await batch({ subject: marie, action: { name: 'view' }, resource: {}, context: {}, evaluations: [{ resource: job1 }] })
    t.same(res, { evaluations: [{ decision: true }] })
  })

  await t.test('an unknown semantic or an ill-typed item is a 400', async t => {
    const bad = await call(app, 'POST', '/access/v1/evaluations', { key: checkKey, body: { subject: marie, evaluations: [{}], options: { evaluations_semantic: 'first_wins' } } })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { code: 'validation_failed', details: [{ path: '/options/evaluations_semantic' }] })
    const typed = await call(app, 'POST', '/access/v1/evaluations', { key: checkKey, body: { evaluations: [{ subject: 'marie' }] } })
    t.equal(typed.statusCode, 400)
    t.match(typed.json(), { code: 'validation_failed', details: [{ path: '/evaluations/0/subject' }] })
  })

  await t.test('more than 1000 items is a 400', async t => {
    const res = await call(app, 'POST', '/access/v1/evaluations', {
      key: checkKey, body: { subject: marie, action: { name: 'view' }, resource: job1, evaluations: Array.from({ length: 1001 }, () => ({})) }
    })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'validation_failed', details: [{ path: '/evaluations' }] })
  })
})
