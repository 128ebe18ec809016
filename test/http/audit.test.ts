/**
 * The audit log (issue 4): every write appends exactly one entry with who, when, what
 * (entity, before, after) and the revision; failed writes append none; it is read with
 * the `audit` scope only, filtered and paged; no route changes or deletes it.
 */
import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { ENTITY_TYPES } from '../../src/store/store.js'
import { exampleBundle, exampleSubjects } from './fixtures.js'

interface Entry { revision: number, at: string, keyId: string | null, actor: string | null, action: string, entityType: string, entityId: string, before: any, after: any }

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const all = async (tenant: string, key: string, query = ''): Promise<Entry[]> => {
    const entries: Entry[] = []
    let after = ''
    for (let pages = 0; pages < 100; pages++) {
      const sep = query === '' && after === '' ? '' : '?'
      const res = await call(app, 'GET', `/v1/tenants/${tenant}/audit${sep}${[query, after === '' ? '' : `after=${after}`].filter(x => x !== '').join('&')}`, { key })
      if (res.statusCode !== 200) throw new Error(`audit: ${res.statusCode} ${res.body}`)
      entries.push(...res.json().entries)
      after = res.json().next
      if (after === '') return entries
    }
    throw new Error('too many pages')
  }

  await t.test('every write of a tenant is one entry, in revision order, with its author and its before and after', async t => {
    const { tenant, adminKey, fullKey } = await setupTenant(t, app, rootKey, { bundle: exampleBundle, subjects: exampleSubjects })
    await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/marie`, { key: adminKey, body: { roles: ['manager'] } })
    await call(app, 'PUT', `/v1/tenants/${tenant}/roles/dispatcher`, { key: adminKey, body: { all: true } })
    await call(app, 'DELETE', `/v1/tenants/${tenant}/subjects/olga`, { key: adminKey })

    const entries = await all(tenant, fullKey)
    const revision = await revisionOf(app, rootKey, tenant)
    t.same(entries.map(e => e.revision), Array.from({ length: revision }, (_, i) => i + 1), 'one entry per revision, none missing')
    t.match(entries[0], { action: 'create', entityType: 'tenant', entityId: tenant, keyId: 'root', before: null })
    t.same(entries.filter(e => e.entityType === 'key').map(e => e.after.scopes), [['admin'], ['check'], ['check', 'admin', 'audit']], 'key creations, without hashes')
    t.notMatch(JSON.stringify(entries), /secretHash|secret_hash/, 'no key hash anywhere')

    const adminKeyId = adminKey.split('_')[1]
    const marie = entries.filter(e => e.entityType === 'subject' && e.entityId === 'marie')
    t.equal(marie.length, 2, 'created, then changed')
    t.same(marie[1]?.before.roles, ['employee'])
    t.same(marie[1]?.after.roles, ['manager'])
    t.equal(marie[1]?.keyId, adminKeyId, 'written with the admin key')
    const role = entries.find(e => e.entityType === 'role')
    t.match(role, { entityId: 'dispatcher', action: 'put', before: null, after: { all: true } }, 'a role edit is audited as the role')
    const olga = entries.at(-1)
    t.match(olga, { entityType: 'subject', entityId: 'olga', action: 'delete', after: null, before: { roles: ['employee'] } })
    t.ok(entries.every(e => !Number.isNaN(Date.parse(e.at))), 'each entry has its time')
  })

  await t.test('refused writes append nothing', async t => {
    const { tenant, adminKey, fullKey } = await setupTenant(t, app, rootKey, { bundle: exampleBundle, subjects: exampleSubjects })
    const before = (await all(tenant, fullKey)).length
    await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/zed`, { key: adminKey, body: { roles: ['ghost'] } })
    await call(app, 'DELETE', `/v1/tenants/${tenant}/roles/employee`, { key: adminKey })
    await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/zed`, { key: adminKey, body: { roles: [] }, headers: { 'if-match': '"1"' } })
    t.equal((await all(tenant, fullKey)).length, before)
  })

  await t.test('filters by entity and time, pages, and bad queries', async t => {
    const { tenant, adminKey, fullKey } = await setupTenant(t, app, rootKey, { bundle: exampleBundle, subjects: exampleSubjects })
    const subjects = await all(tenant, fullKey, 'entity_type=subject')
    t.same(subjects.map(e => e.entityId), ['marie', 'paul', 'ada', 'olga'])
    t.same((await all(tenant, fullKey, 'entity_type=subject&entity_id=paul')).map(e => e.entityId), ['paul'])
    const paged = await all(tenant, fullKey, 'limit=1')
    t.same(paged.map(e => e.revision), (await all(tenant, fullKey)).map(e => e.revision), 'pages of one hold every entry once')
    const future = new Date(Date.now() + 3_600_000).toISOString()
    t.same(await all(tenant, fullKey, `since=${encodeURIComponent(future)}`), [], 'nothing after the future')
    t.equal((await all(tenant, fullKey, `until=${encodeURIComponent(future)}`)).length, paged.length, 'everything before it')
    for (const type of ENTITY_TYPES) {
      const res = await call(app, 'GET', `/v1/tenants/${tenant}/audit?entity_type=${type}`, { key: fullKey })
      t.equal(res.statusCode, 200, `every entity type an entry can have is a filter: ${type}`)
      t.ok(res.json().entries.every((e: Entry) => e.entityType === type), `${type}: only its entries`)
    }
    for (const bad of ['since=yesterday', 'limit=0', 'after=x', 'entity_type=planet', 'colour=red']) {
      const res = await call(app, 'GET', `/v1/tenants/${tenant}/audit?${bad}`, { key: fullKey })
      t.equal(res.statusCode, 400, `${bad}: 400`)
      t.equal(res.json().details?.[0]?.in, 'querystring', `${bad}: names the query`)
    }
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/audit`, { key: adminKey })).statusCode, 403, 'an admin key without the audit scope may not read it')
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/audit`, { key: rootKey })).statusCode, 200, 'the root key may')
  })

  await t.test('no route changes or deletes the log', async t => {
    const { tenant, fullKey } = await setupTenant(t, app, rootKey)
    const before = await all(tenant, fullKey)
    for (const method of ['PUT', 'POST', 'DELETE', 'PATCH'] as const) {
      const res = await call(app, method, `/v1/tenants/${tenant}/audit`, { key: rootKey, body: {} })
      t.ok(res.statusCode === 404 || res.statusCode === 405, `${method} /audit is not a route (${res.statusCode})`)
    }
    t.same(await all(tenant, fullKey), before, 'the log is unchanged')
  })

  await t.test('parallel writers: exactly one entry per successful write, revisions distinct', async t => {
    const { tenant, adminKey, fullKey } = await setupTenant(t, app, rootKey, { bundle: exampleBundle })
    const start = await revisionOf(app, rootKey, tenant)
    const results = await Promise.all(Array.from({ length: 12 }, async (_, i) =>
      await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/p${i}`, { key: adminKey, body: { roles: ['employee'] } })))
    const revisions = results.map(r => Number(JSON.parse(r.headers.etag as string)))
    t.ok(results.every(r => r.statusCode === 201), 'every write landed')
    t.equal(new Set(revisions).size, 12, 'each write has its own revision')
    const entries = (await all(tenant, fullKey)).filter(e => e.revision > start)
    t.equal(entries.length, 12, 'one entry per write')
    t.same(entries.map(e => e.revision).sort((a, b) => a - b), [...revisions].sort((a, b) => a - b), 'at the revisions the writes reported')
  })
})
