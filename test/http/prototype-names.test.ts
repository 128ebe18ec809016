/**
 * Names that are `Object.prototype` members (issue 13): `constructor`, `toString`,
 * `__proto__`, `hasOwnProperty` and `valueOf` are names like any other on every route of
 * roles, modules and flags, and on a subject's overrides. Unknown, they are 404 and write
 * nothing; defined, they read back as written; `__proto__`, reserved by the engine, is a
 * 400 naming the path's `/name` (it was a 500). A write that changes nothing (a PUT of the
 * identical value) answers 200 with the current revision and writes nothing: no revision
 * bump, no audit entry.
 */
import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { exampleBundle, exampleSubjects } from './fixtures.js'

const NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']

/** A valid definition of each part (a role granting a module of the example bundle). */
const BODIES = {
  roles: { description: 'a role with an awkward name', modules: { jobs: { access: 'all', level: 'limited' } } },
  modules: { relations: ['owner'], actions: { view: { level: 'limited' } } },
  flags: { description: 'a flag with an awkward name' }
} as const

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const { tenant, adminKey, fullKey } = await setupTenant(t, app, rootKey, { bundle: exampleBundle, subjects: exampleSubjects })
  const auditCount = async (): Promise<number> => {
    const res = await call(app, 'GET', `/v1/tenants/${tenant}/audit?limit=1000`, { key: fullKey })
    t.equal(res.statusCode, 200)
    return (res.json().entries as unknown[]).length
  }
  /** Runs `request` and checks that it wrote nothing: same revision, same audit log. */
  const writesNothing = async (label: string, request: () => Promise<void>): Promise<void> => {
    const revision = await revisionOf(app, rootKey, tenant)
    const entries = await auditCount()
    await request()
    t.equal(await revisionOf(app, rootKey, tenant), revision, `${label}: no revision bump`)
    t.equal(await auditCount(), entries, `${label}: no audit entry`)
  }

  for (const part of ['roles', 'modules', 'flags'] as const) {
    await t.test(`${part}: unknown prototype names are 404 and write nothing`, async t => {
      for (const name of NAMES) {
        const url = `/v1/tenants/${tenant}/${part}/${name}`
        const got = await call(app, 'GET', url, { key: adminKey })
        t.equal(got.statusCode, 404, `GET ${part}/${name}`, { body: got.body })
        t.equal(got.json().code, 'not_found')
        await writesNothing(`DELETE ${part}/${name}`, async () => {
          const res = await call(app, 'DELETE', url, { key: adminKey })
          t.equal(res.statusCode, 404, `DELETE ${part}/${name}`, { body: res.body })
          t.equal(res.json().code, 'not_found')
        })
        if (part !== 'roles') {
          await writesNothing(`DELETE ${part}/${name}?cascade=true`, async () => {
            t.equal((await call(app, 'DELETE', `${url}?cascade=true`, { key: adminKey })).statusCode, 404)
          })
        }
        const listed = await call(app, 'GET', `/v1/tenants/${tenant}/${part}`, { key: adminKey })
        t.notOk(Object.hasOwn(listed.json()[part] as object, name), `the list has no ${name}`)
      }
    })

    await t.test(`${part}: prototype names are created, read, listed, rewritten as a no-op and deleted; \`__proto__\` is refused`, async t => {
      const body = BODIES[part]
      await writesNothing(`PUT ${part}/__proto__`, async () => {
        const res = await call(app, 'PUT', `/v1/tenants/${tenant}/${part}/__proto__`, { key: adminKey, body })
        t.equal(res.statusCode, 400, '`__proto__` is a reserved name (src/engine/names.ts)', { body: res.body })
        t.match(res.json(), { code: 'validation_failed', details: [{ in: 'params', path: '/name', code: 'invalid_name' }] })
      })
      for (const name of NAMES.filter(n => n !== '__proto__')) {
        const url = `/v1/tenants/${tenant}/${part}/${name}`
        const created = await call(app, 'PUT', url, { key: adminKey, body })
        t.equal(created.statusCode, 201, `PUT ${part}/${name} creates`, { body: created.body })
        t.same(created.json(), body)
        const revision = await revisionOf(app, rootKey, tenant)
        t.equal(created.headers.etag, `"${revision}"`)
        const read = await call(app, 'GET', url, { key: adminKey })
        t.equal(read.statusCode, 200)
        t.same(read.json(), body, `GET ${part}/${name} reads it back`)
        const listed = (await call(app, 'GET', `/v1/tenants/${tenant}/${part}`, { key: adminKey })).json()[part] as object
        t.ok(Object.hasOwn(listed, name), `the list has ${name}`)
        t.same(Object.getPrototypeOf(listed), Object.prototype, 'the list kept its prototype')
        t.same((listed as Record<string, unknown>)[name] === undefined, false)

        await writesNothing(`PUT ${part}/${name} again, identical`, async () => {
          const again = await call(app, 'PUT', url, { key: adminKey, body })
          t.equal(again.statusCode, 200, 'an identical PUT answers 200')
          t.equal(again.headers.etag, `"${revision}"`, 'with the current revision')
          t.same(again.json(), body)
        })

        const deleted = await call(app, 'DELETE', url, { key: adminKey })
        t.equal(deleted.statusCode, 204, `DELETE ${part}/${name}`, { body: deleted.body })
        t.equal(await revisionOf(app, rootKey, tenant), revision + 1)
        t.equal((await call(app, 'GET', url, { key: adminKey })).statusCode, 404, 'gone')
      }
      const policy = (await call(app, 'GET', `/v1/tenants/${tenant}/policy`, { key: adminKey })).json()
      t.same(Object.keys(policy[part] ?? {}).filter(n => NAMES.includes(n)), [], 'the policy is back to what it was')
    })
  }

  await t.test('a subject\'s overrides under a prototype name: 404, nothing written', async t => {
    for (const name of NAMES) {
      const url = `/v1/tenants/${tenant}/subjects/${name}/overrides`
      t.equal((await call(app, 'GET', url, { key: adminKey })).statusCode, 404, `GET subjects/${name}/overrides`)
      await writesNothing(`overrides of ${name}`, async () => {
        t.equal((await call(app, 'PUT', url, { key: adminKey, body: {} })).statusCode, 404, `PUT subjects/${name}/overrides`)
        t.equal((await call(app, 'DELETE', url, { key: adminKey })).statusCode, 404, `DELETE subjects/${name}/overrides`)
      })
    }
  })

  await t.test('the subject list filtered by a prototype name matches no subject', async t => {
    const created = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/pia`, { key: adminKey, body: { roles: [], projects: { p1: ['employee'] } } })
    t.equal(created.statusCode, 201, 'a subject with projects', { body: created.body })
    t.same((await call(app, 'GET', `/v1/tenants/${tenant}/subjects?project=p1`, { key: adminKey })).json().subjects.map((s: { id: string }) => s.id), ['pia'])
    for (const name of NAMES) {
      for (const filter of ['project', 'role', 'group']) {
        const res = await call(app, 'GET', `/v1/tenants/${tenant}/subjects?${filter}=${name}`, { key: adminKey })
        if (res.statusCode === 400) continue
        t.equal(res.statusCode, 200, `?${filter}=${name}`, { body: res.body })
        t.same(res.json().subjects, [], `?${filter}=${name} matches nobody`)
      }
    }
  })

  await t.test('overrides rewritten identically write nothing and answer the current revision', async t => {
    const url = `/v1/tenants/${tenant}/subjects/marie/overrides`
    const overrides = { flags: { delete_entities: true } }
    const first = await call(app, 'PUT', url, { key: adminKey, body: overrides })
    t.equal(first.statusCode, 200, 'written', { body: first.body })
    const revision = await revisionOf(app, rootKey, tenant)
    await writesNothing('identical overrides', async () => {
      const again = await call(app, 'PUT', url, { key: adminKey, body: overrides })
      t.equal(again.statusCode, 200)
      t.equal(again.headers.etag, `"${revision}"`)
    })
  })
})
