/** Keys over HTTP: listed without secrets, revoked with immediate effect, never across tenants. */
import t from 'tap'
import { mintKey, parseKeyToken } from '../../src/service/index.js'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { countingStore } from '../service/counting-store.js'
import { evaluation, exampleBundle, exampleSubjects } from './fixtures.js'

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const data = { bundle: exampleBundle, subjects: exampleSubjects }

  await t.test('the list shows every key with its scopes and state, never a secret or a hash', async t => {
    const { tenant, adminKey, checkKey } = await setupTenant(t, app, rootKey, data)
    const res = await call(app, 'GET', `/v1/tenants/${tenant}/keys`, { key: adminKey })
    t.equal(res.statusCode, 200)
    t.equal(res.headers.etag, `"${await revisionOf(app, rootKey, tenant)}"`, 'the tenant revision as etag')
    const keys = res.json().keys as Array<{ id: string, scopes: string[], createdAt: string, revokedAt: string | null }>
    t.same(keys.map(k => k.scopes), [['admin'], ['check'], ['check', 'admin', 'audit']], 'oldest first, with scopes')
    t.ok(keys.every(k => k.revokedAt === null && !Number.isNaN(Date.parse(k.createdAt))))
    for (const token of [adminKey, checkKey]) {
      // The whole secret: base64url may hold `_`, so `split('_')` could cut a fragment that matches by chance.
      const secret = parseKeyToken(token)?.secret
      t.ok(secret !== undefined && secret.length === 43, 'a tenant key token')
      t.notOk(res.body.includes(secret ?? token), 'no secret in the list')
    }
    t.notMatch(res.body, /hash/i, 'no hash in the list')
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/keys`, { key: checkKey })).statusCode, 403, 'a check key may not list keys')
  })

  await t.test('a revoked key stops working on its next request; revoking twice keeps the first date', async t => {
    const { tenant, adminKey, checkKey } = await setupTenant(t, app, rootKey, data)
    const body = evaluation('marie', 'view', 'jobs', 'job-1')
    t.equal((await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body })).statusCode, 200, 'the key works (and is now cached)')
    const keyId = checkKey.split('_')[1] as string
    const before = await revisionOf(app, rootKey, tenant)
    const revoked = await call(app, 'DELETE', `/v1/tenants/${tenant}/keys/${keyId}`, { key: adminKey })
    t.equal(revoked.statusCode, 200)
    t.equal(revoked.json().revision, before + 1, 'a revocation is a write')
    t.equal(revoked.headers.etag, `"${before + 1}"`)
    t.equal(revoked.json().key.id, keyId)
    t.type(revoked.json().key.revokedAt, 'string')
    const refused = await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body })
    t.equal(refused.statusCode, 401, 'the revoked key is refused at once')
    t.equal(refused.json().code, 'unauthorized')

    const again = await call(app, 'DELETE', `/v1/tenants/${tenant}/keys/${keyId}`, { key: adminKey })
    t.equal(again.statusCode, 200, 'revoking again is fine')
    t.equal(again.json().key.revokedAt, revoked.json().key.revokedAt, 'and keeps the first revocation date')
    const listed = (await call(app, 'GET', `/v1/tenants/${tenant}/keys`, { key: adminKey })).json().keys as Array<{ id: string, revokedAt: string | null }>
    t.equal(listed.find(k => k.id === keyId)?.revokedAt, revoked.json().key.revokedAt, 'the list shows it revoked')
  })

  await t.test('a key cannot be revoked through another tenant, and an unknown key is a 404 that writes nothing', async t => {
    const a = await setupTenant(t, app, rootKey, data)
    const b = await setupTenant(t, app, rootKey, data)
    const bKeyId = b.checkKey.split('_')[1] as string
    const before = await revisionOf(app, rootKey, a.tenant)
    const res = await call(app, 'DELETE', `/v1/tenants/${a.tenant}/keys/${bKeyId}`, { key: a.adminKey })
    t.equal(res.statusCode, 404, "B's key is not A's")
    t.equal(res.json().code, 'not_found')
    t.equal(await revisionOf(app, rootKey, a.tenant), before, 'nothing written')
    t.equal((await call(app, 'POST', '/access/v1/evaluation', { key: b.checkKey, body: evaluation('marie', 'view', 'jobs', 'job-1') })).statusCode, 200, "B's key still works")
    const stale = await call(app, 'DELETE', `/v1/tenants/${a.tenant}/keys/${a.checkKey.split('_')[1] as string}`, { key: a.adminKey, headers: { 'if-match': `"${before - 1}"` } })
    t.equal(stale.statusCode, 412, 'a stale if-match revokes nothing')
    t.equal((await call(app, 'POST', '/access/v1/evaluation', { key: a.checkKey, body: evaluation('marie', 'view', 'jobs', 'job-1') })).statusCode, 200, 'the key still works')
  })

  await t.test('an unknown key id costs one store query, then none; a malformed key none at all; a key created here works at once', async t => {
    const { store, calls } = countingStore(backend.store)
    const counted = await buildTestApp(t, store)
    const { tenant } = await setupTenant(t, counted.app, counted.rootKey, data)
    const getKeys = (): number => calls.filter(c => c === 'getKey').length
    const refusedWith = async (key: string): Promise<number> => (await call(counted.app, 'GET', `/v1/tenants/${tenant}`, { key })).statusCode
    const unknown = mintKey().token
    const before = getKeys()
    for (let i = 0; i < 20; i++) t.equal(await refusedWith(unknown), 401) || t.fail('the unknown key')
    t.equal(getKeys(), before + 1, '20 requests with one unknown id: one query')
    for (const malformed of ['gh_nothex_short', `gh_${'z'.repeat(24)}_${'A'.repeat(43)}`, `${unknown}x`, `gh_${'0'.repeat(24)}:${'A'.repeat(43)}`]) {
      t.equal(await refusedWith(malformed), 401) || t.fail(malformed)
    }
    t.equal(getKeys(), before + 1, 'malformed keys: no query')
    const created = await call(counted.app, 'POST', `/v1/tenants/${tenant}/keys`, { key: counted.rootKey, body: { scopes: ['admin'] } })
    t.equal(await refusedWith(created.json().secret as string), 200, 'a key created here works at once')
  })

  await t.test('an admin key may revoke itself; the root key may revoke any tenant key', async t => {
    const { tenant, adminKey, fullKey } = await setupTenant(t, app, rootKey, data)
    t.equal((await call(app, 'DELETE', `/v1/tenants/${tenant}/keys/${fullKey.split('_')[1] as string}`, { key: rootKey })).statusCode, 200, 'root revokes')
    t.equal((await call(app, 'DELETE', `/v1/tenants/${tenant}/keys/${adminKey.split('_')[1] as string}`, { key: adminKey })).statusCode, 200, 'an admin key revokes itself')
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/keys`, { key: adminKey })).statusCode, 401, 'and is refused afterwards')
  })

  await t.test('revoking: a malformed id is a 400 naming it, a key of another tenant 403, a check key 403; nothing written', async t => {
    const a = await setupTenant(t, app, rootKey, data)
    const b = await setupTenant(t, app, rootKey, data)
    const bKey = b.checkKey.split('_')[1] as string
    const cases: Array<[string, string, string, number]> = [
      ['a malformed id', `/v1/tenants/${a.tenant}/keys/bad%20id`, a.adminKey, 400],
      ["another tenant's route", `/v1/tenants/${b.tenant}/keys/${bKey}`, a.fullKey, 403],
      ['a check key', `/v1/tenants/${a.tenant}/keys/${a.checkKey.split('_')[1] as string}`, a.checkKey, 403],
      ['no key', `/v1/tenants/${a.tenant}/keys/${a.checkKey.split('_')[1] as string}`, '', 401]
    ]
    for (const [name, url, key, status] of cases) {
      const revisions = [await revisionOf(app, rootKey, a.tenant), await revisionOf(app, rootKey, b.tenant)]
      const res = await call(app, 'DELETE', url, key === '' ? {} : { key })
      t.equal(res.statusCode, status, `${name}: ${status}`)
      t.type(res.json().code, 'string', `${name}: a json error`)
      if (status === 400) t.match(res.json(), { details: [{ path: '/id' }] }, 'names the id')
      t.same([await revisionOf(app, rootKey, a.tenant), await revisionOf(app, rootKey, b.tenant)], revisions, `${name}: nothing written`)
    }
    t.equal((await call(app, 'POST', '/access/v1/evaluation', { key: b.checkKey, body: evaluation('marie', 'view', 'jobs', 'job-1') })).statusCode, 200, "B's key still works")
  })
})
