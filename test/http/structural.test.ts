/**
 * The structural rules of the AuthZEN 1.0 certification scenario (shared/authzen
 * README §2.6) for the endpoints gatehouse serves: evaluation, evaluations, discovery.
 */
import t from 'tap'
import { buildTestApp, eachBackend, setupTenant } from '../helpers/build-app.js'
import { exampleBundle, exampleSubjects } from './fixtures.js'

const subject = { type: 'user', id: 'marie' }
const action = { name: 'view' }
const resource = { type: 'jobs', id: 'job-1' }
const valid = { subject, action, resource }

await eachBackend(t, async (t, backend) => {
  const { app, rootKey, config } = await buildTestApp(t, backend.store)
  const { checkKey } = await setupTenant(t, app, rootKey, {
    bundle: exampleBundle, subjects: exampleSubjects, resources: { 'jobs/job-1': { assignee: 'marie' } }
  })
  const post = async (url: string, payload: string | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${checkKey}`, ...headers }, payload })

  await t.test('evaluation accepts context, extra properties and unknown top-level fields', async t => {
    const res = await post('/access/v1/evaluation', JSON.stringify({
      subject: { ...subject, properties: { department: 'Sales' }, extra: 1 },
      action: { ...action, properties: { method: 'GET' } },
      resource: { ...resource, properties: { assignee: 'marie', ownerID: 'x@example.com', nested: { a: [1, null] } } },
      context: { time: '1985-10-26T01:22-07:00' },
      foo: 'bar',
      futureField: { anything: true }
    }))
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.json().decision, true)
    t.type(res.json().context, 'object')
  })

  await t.test('evaluation answers 400 for a missing entity or key, and for ill-typed entities', async t => {
    const cases: Array<[string, unknown, string]> = [
      ['no subject', { action, resource }, '/subject'],
      ['no action', { subject, resource }, '/action'],
      ['no resource', { subject, action }, '/resource'],
      ['no subject.type', { ...valid, subject: { id: 'marie' } }, '/subject/type'],
      ['no subject.id', { ...valid, subject: { type: 'user' } }, '/subject/id'],
      ['no action.name', { ...valid, action: {} }, '/action/name'],
      ['no resource.type', { ...valid, resource: { id: 'job-1' } }, '/resource/type'],
      ['no resource.id', { ...valid, resource: { type: 'jobs' } }, '/resource/id'],
      ['subject a string', { ...valid, subject: 'alice' }, '/subject'],
      ['action.name a number', { ...valid, action: { name: 123 } }, '/action/name'],
      ['resource.properties a list', { ...valid, resource: { ...resource, properties: [] } }, '/resource/properties'],
      ['context a string', { ...valid, context: 'now' }, '/context'],
      ['a list at the top level', [valid], '']
    ]
    for (const [name, body, path] of cases) {
      const res = await post('/access/v1/evaluation', JSON.stringify(body))
      t.equal(res.statusCode, 400, name)
      t.match(res.json(), { code: 'validation_failed', details: [{ path }] }, `${name}: names ${path === '' ? 'the body' : path}`)
    }
  })

  await t.test('evaluation answers 400 for a non-JSON content type, malformed JSON and an empty body', async t => {
    for (const [name, payload, headers] of [
      ['text/plain', JSON.stringify(valid), { 'content-type': 'text/plain' }],
      ['application/xml', '<subject/>', { 'content-type': 'application/xml' }],
      ['no content type', JSON.stringify(valid), {}],
      ['malformed json', '{"subject": {', { 'content-type': 'application/json' }],
      ['empty body with json type', '', { 'content-type': 'application/json' }],
      ['no body at all', undefined, {}]
    ] as Array<[string, string | undefined, Record<string, string>]>) {
      const res = await post('/access/v1/evaluation', payload, headers)
      t.equal(res.statusCode, 400, name)
      t.match(res.headers['content-type'], /^application\/json/, `${name}: the error is JSON`)
      t.type(res.json().message, 'string')
    }
  })

  await t.test('the decision is a boolean, the context an object, and the same request gets the same decision', async t => {
    const first = await post('/access/v1/evaluation', JSON.stringify(valid))
    t.match(first.headers['content-type'], /^application\/json/)
    t.type(first.json().decision, 'boolean')
    t.type(first.json().context, 'object')
    for (let i = 0; i < 3; i++) {
      t.same((await post('/access/v1/evaluation', JSON.stringify(valid))).json(), first.json(), 'idempotent')
    }
  })

  await t.test('x-request-id is echoed when sent and generated when not', async t => {
    const sent = await post('/access/v1/evaluation', JSON.stringify(valid), { 'content-type': 'application/json', 'x-request-id': 'req-42-abc' })
    t.equal(sent.headers['x-request-id'], 'req-42-abc')
    const failed = await post('/access/v1/evaluation', '{', { 'content-type': 'application/json', 'x-request-id': 'req-43' })
    t.equal(failed.headers['x-request-id'], 'req-43', 'echoed on errors too')
    const none = await post('/access/v1/evaluation', JSON.stringify(valid))
    t.equal(none.statusCode, 200, 'its absence is no failure')
    t.match(none.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'one is generated')
    const unauth = await app.inject({ method: 'POST', url: '/access/v1/evaluation', headers: { 'x-request-id': 'req-44' } })
    t.equal(unauth.headers['x-request-id'], 'req-44', 'and on a 401')
  })

  await t.test('evaluations: same length and order, whole-entity defaults, {} inherits everything, context inherited or overridden', async t => {
    const res = await post('/access/v1/evaluations', JSON.stringify({
      subject,
      action,
      resource,
      context: { ip: '10.0.0.1' },
      evaluations: [{}, { action: { name: 'edit' } }, { context: { ip: '10.0.0.2' } }, { subject: { type: 'user', id: 'paul' }, resource: { type: 'jobs', id: 'other' } }],
      decision: true
    }))
    t.equal(res.statusCode, 200)
    t.same(res.json(), { evaluations: [{ decision: true }, { decision: false }, { decision: true }, { decision: true }] }, 'no top-level decision, bare items')
  })

  await t.test('evaluations: execute_all with an item that ends up without resource is a 200 with that item false', async t => {
    const res = await post('/access/v1/evaluations', JSON.stringify({
      subject, action, evaluations: [{ resource }, {}, { resource }], options: { evaluations_semantic: 'execute_all' }
    }))
    t.equal(res.statusCode, 200)
    t.same(res.json().evaluations.map((e: { decision: boolean }) => e.decision), [true, false, true])
  })

  await t.test('evaluations: a missing or empty evaluations array gives a single evaluation response', async t => {
    for (const body of [valid, { ...valid, evaluations: [] }]) {
      const res = await post('/access/v1/evaluations', JSON.stringify(body))
      t.equal(res.statusCode, 200)
      t.equal(res.json().decision, true)
    }
  })

  await t.test('evaluations answers 400 like evaluation for a non-JSON body', async t => {
    t.equal((await post('/access/v1/evaluations', 'x', { 'content-type': 'text/plain' })).statusCode, 400)
    t.equal((await post('/access/v1/evaluations', '', { 'content-type': 'application/json' })).statusCode, 400)
    t.equal((await post('/access/v1/evaluations', '{"evaluations": [', { 'content-type': 'application/json' })).statusCode, 400)
  })

  await t.test('discovery: metadata at the well-known url, https endpoints under the base url, only those served', async t => {
    const res = await app.inject({ method: 'GET', url: '/.well-known/authzen-configuration' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/json/)
    t.match(res.headers['cache-control'], /max-age=\d+/)
    t.same(res.json(), {
      policy_decision_point: config.publicUrl,
      access_evaluation_endpoint: `${config.publicUrl}/access/v1/evaluation`,
      access_evaluations_endpoint: `${config.publicUrl}/access/v1/evaluations`,
      search_subject_endpoint: `${config.publicUrl}/access/v1/search/subject`,
      search_resource_endpoint: `${config.publicUrl}/access/v1/search/resource`,
      search_action_endpoint: `${config.publicUrl}/access/v1/search/action`
    })
    // Listed exactly when served: a listed endpoint that is not served, or the reverse, misleads a PEP.
    for (const [key, path] of [
      ['access_evaluation_endpoint', '/access/v1/evaluation'], ['access_evaluations_endpoint', '/access/v1/evaluations'],
      ['search_subject_endpoint', '/access/v1/search/subject'], ['search_resource_endpoint', '/access/v1/search/resource'],
      ['search_action_endpoint', '/access/v1/search/action']
    ] as const) {
      t.equal(key in res.json(), app.hasRoute({ method: 'POST', url: path }), `${key}: listed exactly when ${path} is served`)
    }
    for (const [key, url] of Object.entries(res.json() as Record<string, string>)) {
      t.match(url, /^https:\/\//, `${key} is https`)
      if (key !== 'policy_decision_point') {
        const served = await app.inject({ method: 'POST', url: new URL(url).pathname, headers: { authorization: `Bearer ${checkKey}`, 'content-type': 'application/json' }, payload: JSON.stringify(valid) })
        t.equal(served.statusCode, 200, `${key} is served`)
      }
    }
    const tenant = await app.inject({ method: 'GET', url: '/.well-known/authzen-configuration/acme' })
    t.equal(tenant.statusCode, 200)
    t.equal(tenant.json().policy_decision_point, `${config.publicUrl}/acme`, 'the tenant form uses the path suffix')
    t.equal(tenant.json().access_evaluation_endpoint, `${config.publicUrl}/access/v1/evaluation`)
  })

  await t.test('health and readiness answer without a key', async t => {
    t.same((await app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' })
    const ready = await app.inject({ method: 'GET', url: '/readyz' })
    t.equal(ready.statusCode, 200)
    t.same(ready.json(), { status: 'ready' })
  })
})
