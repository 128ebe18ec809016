/**
 * AuthZEN search over the live HTTP API, on each backend: the search interop scenario
 * (198 cases: users and records as stored data, departments as groups) and the
 * identity-provider scenario (6 resource searches for `delete`), with exact result sets
 * (ids, not just counts); then the certification scenario's search rules (ids of the
 * searched entity ignored, unknown type or id → empty, missing input id → 400, paging
 * with tokens) and bad input.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse as parseYaml } from 'yaml'
import { buildTestApp, eachBackend, setupTenant } from '../helpers/build-app.js'

interface SearchScenario {
  users: Array<{ id: string, role: string, department: string }>
  records: Array<{ id: number, department: string, owner: string }>
  expected: {
    subject_search__record_id__action__user_ids: Record<string, Record<string, string[]>>
    resource_search__user_id__action__record_ids: Record<string, Record<string, string[]>>
    action_search__user_id__record_id__action_names: Record<string, Record<string, string[]>>
  }
}

const scenario = JSON.parse(readFileSync(new URL('../../../shared/authzen/search.json', import.meta.url), 'utf8')) as SearchScenario
const bundle = parseYaml(readFileSync(new URL('authzen/search.yaml', import.meta.url), 'utf8')) as unknown

const subjects = Object.fromEntries(scenario.users.map(u => [u.id, { roles: [u.role], groups: [u.department] }]))
const resources = Object.fromEntries(scenario.records.map(r => [`record/${r.id}`, { owner: r.owner, department: `group:${r.department}` }]))

const sorted = (values: readonly string[]): string[] => [...values].sort()

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const { checkKey, tenant } = await setupTenant(t, app, rootKey, { bundle, subjects, resources })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const post = async (path: string, body: unknown, key = checkKey): Promise<{ status: number, json: any }> => {
    const res = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, json: await res.json() }
  }

  await t.test('search scenario: 198 cases with exact result sets', async t => {
    let cases = 0
    for (const [record, byAction] of Object.entries(scenario.expected.subject_search__record_id__action__user_ids)) {
      for (const [action, users] of Object.entries(byAction)) {
        const res = await post('/access/v1/search/subject', { resource: { type: 'record', id: record }, action: { name: action }, subject: { type: 'user' } })
        t.equal(res.status, 200)
        t.same(res.json.results.map((r: { type: string }) => r.type), users.map(() => 'user'), `subject search ${record} ${action}: every result is a user`)
        t.same(sorted(res.json.results.map((r: { id: string }) => r.id)), sorted(users), `subject search ${record} ${action}: ${users.join(', ')}`)
        cases++
      }
    }
    for (const [user, byAction] of Object.entries(scenario.expected.resource_search__user_id__action__record_ids)) {
      for (const [action, records] of Object.entries(byAction)) {
        const res = await post('/access/v1/search/resource', { subject: { type: 'user', id: user }, action: { name: action }, resource: { type: 'record' } })
        t.equal(res.status, 200)
        t.same(sorted(res.json.results.map((r: { id: string }) => r.id)), sorted(records), `resource search ${user} ${action}: ${records.join(', ')}`)
        t.ok(res.json.results.every((r: object) => JSON.stringify(r) === JSON.stringify({ type: 'record', id: (r as { id: string }).id })), 'items are bare {type, id}')
        cases++
      }
    }
    for (const [user, byRecord] of Object.entries(scenario.expected.action_search__user_id__record_id__action_names)) {
      for (const [record, actions] of Object.entries(byRecord)) {
        const res = await post('/access/v1/search/action', { subject: { type: 'user', id: user }, resource: { type: 'record', id: record } })
        t.equal(res.status, 200)
        t.equal(JSON.stringify(res.json.results), JSON.stringify(actions.map(name => ({ name }))), `action search ${user} ${record}: [${actions.join(', ')}]`)
        cases++
      }
    }
    t.equal(cases, 198, 'every case of the scenario ran')
  })

  await t.test('identity-provider scenario: the records each user may delete, by id', async t => {
    const expected = scenario.expected.resource_search__user_id__action__record_ids
    t.equal(Object.keys(expected).length, 6, 'six users, six cases')
    for (const [user, byAction] of Object.entries(expected)) {
      const res = await post('/access/v1/search/resource', { subject: { type: 'user', id: user }, action: { name: 'delete' }, resource: { type: 'record' } })
      t.equal(res.status, 200)
      t.same(res.json.results.map((r: { id: string }) => r.id), sorted(byAction.delete ?? []), `${user} may delete exactly ${(byAction.delete ?? []).join(', ')}`)
    }
  })

  await t.test('resource search: the plan in context selects exactly the results', async t => {
    const employee = await post('/access/v1/search/resource', { subject: { type: 'user', id: 'bob' }, action: { name: 'view' }, resource: { type: 'record' } })
    t.same(employee.json.context.plan, {
      kind: 'conditional',
      filter: { op: 'or', args: [{ op: 'relation_contains_any', relation: 'department', values: ['bob', 'group:Legal'] }, { op: 'relation_contains_any', relation: 'owner', values: ['bob', 'group:Legal'] }] }
    }, 'an employee: department or owner, each naming the user or its group')
    t.type(employee.json.context.revision, 'number')
    const manager = await post('/access/v1/search/resource', { subject: { type: 'user', id: 'alice' }, action: { name: 'view' }, resource: { type: 'record' } })
    t.same(manager.json.context.plan, { kind: 'always' })
    const unknown = await post('/access/v1/search/resource', { subject: { type: 'user', id: 'nobody' }, action: { name: 'view' }, resource: { type: 'record' } })
    t.same(unknown.json.context.plan, { kind: 'never' })
  })

  await t.test('the searched-for id is ignored', async t => {
    const subjectSearch = { resource: { type: 'record', id: '101' }, action: { name: 'view' }, subject: { type: 'user' } }
    const withId = await post('/access/v1/search/subject', { ...subjectSearch, subject: { type: 'user', id: 'zed' } })
    t.same(withId.json.results, (await post('/access/v1/search/subject', subjectSearch)).json.results, 'subject search: subject.id ignored')
    const resourceSearch = { subject: { type: 'user', id: 'bob' }, action: { name: 'edit' }, resource: { type: 'record' } }
    const withResourceId = await post('/access/v1/search/resource', { ...resourceSearch, resource: { type: 'record', id: '999' } })
    t.same(withResourceId.json.results, (await post('/access/v1/search/resource', resourceSearch)).json.results, 'resource search: resource.id ignored')
  })

  await t.test('unknown types and ids give empty results, not errors', async t => {
    const cases: Array<[string, string, unknown]> = [
      ['resource search, unknown type', '/access/v1/search/resource', { subject: { type: 'user', id: 'alice' }, action: { name: 'view' }, resource: { type: 'invoice' } }],
      ['resource search, unknown subject', '/access/v1/search/resource', { subject: { type: 'user', id: 'zed' }, action: { name: 'view' }, resource: { type: 'record' } }],
      ['resource search, unknown action', '/access/v1/search/resource', { subject: { type: 'user', id: 'alice' }, action: { name: 'burn' }, resource: { type: 'record' } }],
      ['subject search, unknown type', '/access/v1/search/subject', { subject: { type: 'user' }, action: { name: 'view' }, resource: { type: 'invoice', id: '101' } }],
      ['subject search, unknown action', '/access/v1/search/subject', { subject: { type: 'user' }, action: { name: 'burn' }, resource: { type: 'record', id: '101' } }],
      ['action search, unknown type', '/access/v1/search/action', { subject: { type: 'user', id: 'alice' }, resource: { type: 'invoice', id: '101' } }],
      ['action search, unknown subject', '/access/v1/search/action', { subject: { type: 'user', id: 'zed' }, resource: { type: 'record', id: '101' } }]
    ]
    for (const [name, path, body] of cases) {
      const res = await post(path, body)
      t.equal(res.status, 200, `${name}: 200`)
      t.same(res.json.results, [], `${name}: no results`)
      t.equal(res.json.page.next_token, '', `${name}: last page`)
    }
  })

  await t.test('a missing required key or input id is a 400 naming it', async t => {
    const cases: Array<[string, string, unknown, string]> = [
      ['subject search without action', '/access/v1/search/subject', { subject: { type: 'user' }, resource: { type: 'record', id: '101' } }, '/action'],
      ['subject search, resource without id', '/access/v1/search/subject', { subject: { type: 'user' }, action: { name: 'view' }, resource: { type: 'record' } }, '/resource/id'],
      ['subject search without subject type', '/access/v1/search/subject', { subject: {}, action: { name: 'view' }, resource: { type: 'record', id: '101' } }, '/subject/type'],
      ['resource search without subject', '/access/v1/search/resource', { action: { name: 'view' }, resource: { type: 'record' } }, '/subject'],
      ['resource search, subject without id', '/access/v1/search/resource', { subject: { type: 'user' }, action: { name: 'view' }, resource: { type: 'record' } }, '/subject/id'],
      ['resource search without resource type', '/access/v1/search/resource', { subject: { type: 'user', id: 'bob' }, action: { name: 'view' }, resource: {} }, '/resource/type'],
      ['action search without resource', '/access/v1/search/action', { subject: { type: 'user', id: 'bob' } }, '/resource'],
      ['action search, subject without id', '/access/v1/search/action', { subject: { type: 'user' }, resource: { type: 'record', id: '101' } }, '/subject/id'],
      ['action search, resource without id', '/access/v1/search/action', { subject: { type: 'user', id: 'bob' }, resource: { type: 'record' } }, '/resource/id'],
      ['limit 0', '/access/v1/search/resource', { subject: { type: 'user', id: 'bob' }, action: { name: 'view' }, resource: { type: 'record' }, page: { limit: 0 } }, '/page/limit'],
      ['limit above 1000', '/access/v1/search/resource', { subject: { type: 'user', id: 'bob' }, action: { name: 'view' }, resource: { type: 'record' }, page: { limit: 1001 } }, '/page/limit'],
      ['limit not an integer', '/access/v1/search/subject', { subject: { type: 'user' }, action: { name: 'view' }, resource: { type: 'record', id: '101' }, page: { limit: 1.5 } }, '/page/limit'],
      ['token not a string', '/access/v1/search/action', { subject: { type: 'user', id: 'bob' }, resource: { type: 'record', id: '101' }, page: { token: 7 } }, '/page/token']
    ]
    for (const [name, path, body, pointer] of cases) {
      const res = await post(path, body)
      t.equal(res.status, 400, `${name}: 400`)
      t.match(res.json, { code: 'validation_failed', details: [{ path: pointer }] }, `${name}: names ${pointer}`)
    }
  })

  await t.test('pages: limit, next_token until "", the whole result once, in order', async t => {
    for (const [name, path, body, key] of [
      ['resource', '/access/v1/search/resource', { subject: { type: 'user', id: 'alice' }, action: { name: 'view' }, resource: { type: 'record' } }, 'id'],
      ['subject', '/access/v1/search/subject', { subject: { type: 'user' }, action: { name: 'view' }, resource: { type: 'record', id: '105' } }, 'id'],
      ['action', '/access/v1/search/action', { subject: { type: 'user', id: 'alice' }, resource: { type: 'record', id: '101' } }, 'name']
    ] as const) {
      const whole = (await post(path, body)).json.results.map((r: Record<string, string>) => r[key])
      t.ok(whole.length > 1, `${name} search: several results to page through`)
      const paged: string[] = []
      let token: string | undefined
      let pages = 0
      do {
        const res = await post(path, { ...body, page: token === undefined ? { limit: 1 } : { limit: 1, token } })
        t.equal(res.status, 200, `${name} page ${pages}: 200`)
        t.equal(Object.keys(res.json)[0], 'page', 'page is the first key')
        t.equal(res.json.page.count, res.json.results.length)
        paged.push(...res.json.results.map((r: Record<string, string>) => r[key]))
        t.type(res.json.page.next_token, 'string')
        token = res.json.page.next_token === '' ? undefined : res.json.page.next_token
        pages++
      } while (token !== undefined && pages < 50)
      t.same(paged, whole, `${name} search: the pages hold the whole result, once, in order`)
      t.equal(pages, whole.length, `${name} search: one result per page`)
    }
  })

  await t.test('a token from another query, limit or tenant, or a forged one, is a 400', async t => {
    const body = { subject: { type: 'user', id: 'alice' }, action: { name: 'view' }, resource: { type: 'record' } }
    const first = await post('/access/v1/search/resource', { ...body, page: { limit: 2 } })
    const token = first.json.page.next_token as string
    t.not(token, '')
    t.equal((await post('/access/v1/search/resource', { ...body, page: { limit: 2, token } })).status, 200, 'the same query continues')
    const refused: Array<[string, unknown]> = [
      ['another action', { ...body, action: { name: 'edit' }, page: { limit: 2, token } }],
      ['another subject', { ...body, subject: { type: 'user', id: 'dan' }, page: { limit: 2, token } }],
      ['another limit', { ...body, page: { limit: 3, token } }],
      ['no limit', { ...body, page: { token } }],
      ['garbage', { ...body, page: { limit: 2, token: 'not-a-token' } }],
      ['a forged digest', { ...body, page: { limit: 2, token: Buffer.from(JSON.stringify({ q: 'x', a: '105' })).toString('base64url') } }]
    ]
    for (const [name, request] of refused) {
      const res = await post('/access/v1/search/resource', request)
      t.equal(res.status, 400, `${name}: 400`)
      t.match(res.json, { code: 'validation_failed', details: [{ path: '/page/token', code: 'invalid_page_token' }] }, `${name}: names the token`)
    }
    const subjectToken = (await post('/access/v1/search/subject', { subject: { type: 'user' }, action: { name: 'view' }, resource: { type: 'record', id: '105' }, page: { limit: 1 } })).json.page.next_token as string
    const crossed = await post('/access/v1/search/resource', { ...body, page: { limit: 1, token: subjectToken } })
    t.equal(crossed.status, 400, 'a subject-search token does not continue a resource search')

    const other = await setupTenant(t, app, rootKey, { bundle, subjects, resources })
    t.not(other.tenant, tenant)
    const elsewhere = await post('/access/v1/search/resource', { ...body, page: { limit: 2, token } }, other.checkKey)
    t.equal(elsewhere.status, 400, 'a token of another tenant is refused')
  })

  await t.test('search needs a key with the check scope, like evaluation', async t => {
    const body = { subject: { type: 'user', id: 'alice' }, action: { name: 'view' }, resource: { type: 'record' } }
    const res = await fetch(`${base}/access/v1/search/resource`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    t.equal(res.status, 401)
    const { adminKey } = await setupTenant(t, app, rootKey)
    t.equal((await post('/access/v1/search/resource', body, adminKey)).status, 403, 'an admin-only key may not search')
  })
})
