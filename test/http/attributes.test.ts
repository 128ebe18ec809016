/**
 * Attributes and conditions through the HTTP API (issue 14), on both databases: subject
 * and resource documents carry typed attributes (written, read back, refused with the
 * field named when ill-typed); a stored resource's attributes change decisions and
 * searches alike, the search's plan filters on them, and a change of them is seen by
 * the next decision and search; request inputs reach conditions; nothing answers 500.
 */
import t from 'tap'
import { buildTestApp, call, eachBackend, setupTenant } from '../helpers/build-app.js'

const bundle = {
  version: 1,
  subject_attributes: { approval_limit: 'number', region: 'string' },
  modules: {
    invoices: {
      relations: ['responsible'],
      attributes: { status: { enum: ['draft', 'sent', 'paid', 'locked'] }, amount: 'number', tags: ['string'], due: 'timestamp' },
      actions: {
        view: { level: 'limited' },
        edit: { level: 'management', when: "resource.status != 'locked'" },
        approve: { level: 'full' }
      }
    }
  },
  roles: {
    clerk: { modules: { invoices: { access: 'assigned', level: 'management' } } },
    manager: {
      modules: {
        invoices: {
          access: 'all',
          level: 'full',
          when: { approve: "resource.amount <= subject.approval_limit && (context.channel == 'web' || action.urgent == true)" }
        }
      }
    }
  }
}

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const { tenant, adminKey, checkKey } = await setupTenant(t, app, rootKey, {
    bundle,
    subjects: {
      clara: { roles: ['clerk'] },
      max: { roles: ['manager'], attributes: { approval_limit: 1000, region: 'north' } }
    },
    resources: {
      'invoices/INV-1': { responsible: 'clara', status: 'draft', amount: 250, tags: ['gas'], due: '2026-12-31T12:00:00+01:00' },
      'invoices/INV-2': { responsible: 'clara', status: 'locked', amount: 5000 },
      'invoices/INV-3': { responsible: 'paul', status: 'sent', amount: 999.5 },
      'invoices/INV-4': { responsible: 'clara' }
    }
  })
  const evaluate = async (body: Record<string, unknown>) => {
    const res = await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body })
    t.not(res.statusCode, 500, 'never a 500')
    return res
  }
  const search = async (subject: Record<string, unknown>, action: Record<string, unknown>, context?: Record<string, unknown>) => {
    const res = await call(app, 'POST', '/access/v1/search/resource', { key: checkKey, body: { subject, action, resource: { type: 'invoices' }, ...(context === undefined ? {} : { context }) } })
    t.equal(res.statusCode, 200, 'search answers 200', { body: res.json() })
    return res.json() as { results: Array<{ id: string }>, context: { plan: unknown } }
  }
  const ids = (found: { results: Array<{ id: string }> }): string[] => found.results.map(r => r.id)

  await t.test('a stored resource reads back with its attributes beside its relations', async t => {
    const res = await call(app, 'GET', `/v1/tenants/${tenant}/resources/invoices/INV-1`, { key: adminKey })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { type: 'invoices', id: 'INV-1', properties: { responsible: ['clara'], status: 'draft', amount: 250, tags: ['gas'], due: '2026-12-31T12:00:00+01:00' } })
  })

  await t.test('a stored subject reads back with its attributes', async t => {
    const res = await call(app, 'GET', `/v1/tenants/${tenant}/subjects/max`, { key: adminKey })
    t.equal(res.statusCode, 200)
    t.match(res.json(), { id: 'max', roles: ['manager'], attributes: { approval_limit: 1000, region: 'north' } })
  })

  await t.test('ill-typed or undeclared attributes are refused with the field named, and nothing is written', async t => {
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      ['a resource status outside the enum', 'resources/invoices/INV-9', { status: 'closed' }, '/status'],
      ['a resource amount that is a string', 'resources/invoices/INV-9', { amount: '12' }, '/amount'],
      ['a resource timestamp that is no date', 'resources/invoices/INV-9', { due: '2026-02-30T00:00:00Z' }, '/due'],
      ['a list holding a number', 'resources/invoices/INV-9', { tags: ['a', 3] }, '/tags'],
      ['an undeclared resource property', 'resources/invoices/INV-9', { colour: 'red' }, '/colour'],
      ['a subject attribute of another type', 'subjects/zoe', { roles: [], attributes: { approval_limit: 'lots' } }, '/attributes/approval_limit'],
      ['an undeclared subject attribute', 'subjects/zoe', { roles: [], attributes: { shoe_size: 42 } }, '/attributes/shoe_size']
    ]
    for (const [name, path, body, field] of cases) {
      const res = await call(app, 'PUT', `/v1/tenants/${tenant}/${path}`, { key: adminKey, body })
      t.equal(res.statusCode, 400, name)
      t.match(res.json(), { code: 'validation_failed', details: [{ path: field }] }, name)
      t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/${path}`, { key: adminKey })).statusCode, 404, `${name}: nothing written`)
    }
  })

  await t.test('an action condition on a stored attribute decides checks and searches alike', async t => {
    const locked = await evaluate({ subject: { type: 'user', id: 'clara' }, action: { name: 'edit' }, resource: { type: 'invoices', id: 'INV-2' } })
    t.equal(locked.statusCode, 200)
    t.match(locked.json(), { decision: false, context: { reason: { code: 'condition_failed', message: /resource\.status != 'locked'/ } } })
    const found = await search({ type: 'user', id: 'clara' }, { name: 'edit' })
    t.same(ids(found), ['INV-1'], 'clara may edit her unlocked invoices; INV-4 has no status, so the condition cannot hold')
    t.match(JSON.stringify(found.context.plan), /attribute_compare/, 'the plan filters on the attribute')
  })

  await t.test('a grant condition reads the subject, the action and the context; request properties replace stored attributes', async t => {
    const approve = (context: Record<string, unknown> | undefined, action: Record<string, unknown> = { name: 'approve' }, subject: Record<string, unknown> = { type: 'user', id: 'max' }) =>
      search(subject, action, context)
    t.same(ids(await approve({ channel: 'web' })), ['INV-1', 'INV-3'], 'within the stored approval limit, from the web')
    t.same(ids(await approve(undefined)), [], 'no channel and no urgency: the condition cannot hold')
    t.same(ids(await approve(undefined, { name: 'approve', properties: { urgent: true } })), ['INV-1', 'INV-3'], 'an urgent action')
    t.same(ids(await approve({ channel: 'web' }, { name: 'approve' }, { type: 'user', id: 'max', properties: { approval_limit: 10000 } })), ['INV-1', 'INV-2', 'INV-3'], 'a higher limit for this request')
    const one = await evaluate({ subject: { type: 'user', id: 'max', properties: { approval_limit: 100 } }, action: { name: 'approve' }, resource: { type: 'invoices', id: 'INV-1' }, context: { channel: 'web' } })
    t.match(one.json(), { decision: false, context: { reason: { code: 'condition_failed' } } }, 'a lower limit for this request')
    t.match(one.json().context.reason.message, "; `resource.amount <= subject.approval_limit` fails: `INV-1`'s `amount` is 250 and `max`'s `approval_limit` is 100",
      'the reason names the part that failed and the values it read, the request\'s limit among them')
    const bad = await evaluate({ subject: { type: 'user', id: 'max', properties: { approval_limit: '100' } }, action: { name: 'approve' }, resource: { type: 'invoices', id: 'INV-1' } })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { code: 'validation_failed', details: [{ path: '/subject/properties/approval_limit' }] })
  })

  await t.test('an inline resource is decided on its sent attributes; an ill-typed one is a 400 naming it', async t => {
    const sent = await evaluate({ subject: { type: 'user', id: 'clara' }, action: { name: 'edit' }, resource: { type: 'invoices', id: 'INV-2', properties: { responsible: 'clara', status: 'sent' } } })
    t.match(sent.json(), { decision: true })
    const bad = await evaluate({ subject: { type: 'user', id: 'clara' }, action: { name: 'edit' }, resource: { type: 'invoices', id: 'INV-2', properties: { status: 7 } } })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { code: 'validation_failed', details: [{ path: '/resource/properties/status' }] })
    const batch = await call(app, 'POST', '/access/v1/evaluations', {
      key: checkKey,
      body: {
        subject: { type: 'user', id: 'clara' },
        action: { name: 'edit' },
        evaluations: [{ resource: { type: 'invoices', id: 'INV-1' } }, { resource: { type: 'invoices', id: 'INV-2', properties: { status: 7 } } }, { resource: { type: 'invoices', id: 'INV-2' } }]
      }
    })
    t.equal(batch.statusCode, 200)
    t.same(batch.json().evaluations, [{ decision: true }, { decision: false }, { decision: false }], 'the ill-typed item fails closed, the others are decided')
  })

  await t.test('a changed attribute reaches the next decision and search', async t => {
    const put = await call(app, 'PUT', `/v1/tenants/${tenant}/resources/invoices/INV-2`, { key: adminKey, body: { responsible: 'clara', status: 'sent', amount: 5000 } })
    t.equal(put.statusCode, 200)
    const edit = await evaluate({ subject: { type: 'user', id: 'clara' }, action: { name: 'edit' }, resource: { type: 'invoices', id: 'INV-2' } })
    t.match(edit.json(), { decision: true })
    t.same(ids(await search({ type: 'user', id: 'clara' }, { name: 'edit' })), ['INV-1', 'INV-2'])
  })
})
