import t from 'tap'
import { buildTestApp, call, eachBackend, setupTenant } from '../helpers/build-app.js'
import { exampleBundle, exampleSubjects } from './fixtures.js'

// Relation values as the store keeps them (arrays). Ids that sort the same under any collation (lower case, same length), so the order
// asserted below is the store's on both databases.
const jobs: Record<string, Record<string, unknown>> = {
  'job-01': { assignee: ['marie'], creator: ['paul'] },
  'job-02': { project: 'p-north', responsible: ['group:crew-a'] },
  'job-03': {},
  'job-04': { acl: [{ who: 'role:manager', deny: ['view'] }] },
  'job-05': { acl: [] },
  'job-06': { parent: 'job-02', creator: ['ada'] },
  'job-07': { assignee: ['paul', 'marie'] }
}

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const resources: Record<string, Record<string, unknown>> = { 'documents/doc-1': { creator: ['ada'] } }
  for (const [id, properties] of Object.entries(jobs)) resources[`jobs/${id}`] = properties
  const { tenant, adminKey, checkKey } = await setupTenant(t, app, rootKey, { bundle: exampleBundle, subjects: exampleSubjects, resources })
  const url = `/v1/tenants/${tenant}/resources/jobs`

  await t.test('pages hold every stored resource of the module once, in order, with its properties as stored', async t => {
    const seen: Array<{ type: string, id: string, properties: Record<string, unknown> }> = []
    let after = ''
    let pages = 0
    for (; pages < 10; pages++) {
      const res = await call(app, 'GET', `${url}?limit=3${after === '' ? '' : `&after=${encodeURIComponent(after)}`}`, { key: adminKey })
      t.equal(res.statusCode, 200, `page ${pages + 1} answers 200`, { body: res.json() })
      t.ok(res.headers.etag, 'the page carries the revision')
      const body = res.json() as { resources: typeof seen, next: string }
      t.ok(body.resources.length <= 3, 'at most the limit')
      seen.push(...body.resources)
      after = body.next
      if (after === '') break
    }
    t.equal(pages, 2, 'seven resources in pages of 3: the third page is the last')
    t.same(seen.map(r => r.id), Object.keys(jobs), 'every job once, by id')
    for (const r of seen) {
      t.equal(r.type, 'jobs')
      t.same(r.properties, jobs[r.id], `${r.id}: properties as stored`)
      const one = await call(app, 'GET', `${url}/${r.id}`, { key: adminKey })
      t.same(r, one.json(), `${r.id}: the same shape as GET of the resource`)
    }
  })

  await t.test('without a limit, one page of up to 100', async t => {
    const res = await call(app, 'GET', url, { key: adminKey })
    t.equal(res.statusCode, 200)
    t.same((res.json().resources as Array<{ id: string }>).map(r => r.id), Object.keys(jobs))
    t.equal(res.json().next, '')
    const docs = await call(app, 'GET', `/v1/tenants/${tenant}/resources/documents`, { key: adminKey })
    t.same(docs.json(), { resources: [{ type: 'documents', id: 'doc-1', properties: { creator: ['ada'] } }], next: '' }, 'only the module asked for')
  })

  await t.test('a deleted resource is no longer listed', async t => {
    const put = await call(app, 'PUT', `${url}/job-99`, { key: adminKey, body: { creator: 'paul' } })
    t.equal(put.statusCode, 201)
    const ids = async () => ((await call(app, 'GET', url, { key: adminKey })).json().resources as Array<{ id: string }>).map(r => r.id)
    t.ok((await ids()).includes('job-99'), 'listed once stored')
    t.equal((await call(app, 'DELETE', `${url}/job-99`, { key: adminKey })).statusCode, 204)
    t.same(await ids(), Object.keys(jobs), 'gone once deleted')
  })

  await t.test('an unknown module has no resources, as GET of one of its resources is a 404', async t => {
    const res = await call(app, 'GET', `/v1/tenants/${tenant}/resources/planets`, { key: adminKey })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { resources: [], next: '' })
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/resources/planets/mars`, { key: adminKey })).statusCode, 404)
  })

  await t.test('bad queries are a 400 naming the parameter', async t => {
    for (const [query, path] of [
      ['limit=0', '/limit'], ['limit=1001', '/limit'], ['limit=ten', '/limit'], ['limit=', '/limit'],
      ['after=', '/after'], [`after=${'x'.repeat(257)}`, '/after'], ['after=a%00b', '/after'], ['colour=red', '/colour']
    ] as const) {
      const res = await call(app, 'GET', `${url}?${query}`, { key: adminKey })
      t.equal(res.statusCode, 400, `${query.slice(0, 20)}: 400`)
      t.equal(res.json().details?.[0]?.in, 'querystring', `${query.slice(0, 20)}: names the query`)
      t.equal(res.json().details?.[0]?.path, path, `${query.slice(0, 20)}: names ${path}`)
    }
  })

  await t.test('only the tenant\'s admin keys may list', async t => {
    const other = await setupTenant(t, app, rootKey, { bundle: exampleBundle })
    t.equal((await call(app, 'GET', url, { key: other.adminKey })).statusCode, 403, 'another tenant\'s admin key')
    t.equal((await call(app, 'GET', url, { key: checkKey })).statusCode, 403, 'a check-only key')
    t.equal((await call(app, 'GET', url)).statusCode, 401, 'no key')
    const theirs = await call(app, 'GET', `/v1/tenants/${other.tenant}/resources/jobs`, { key: other.adminKey })
    t.same(theirs.json(), { resources: [], next: '' }, 'the other tenant sees none of this tenant\'s resources')
  })
})
